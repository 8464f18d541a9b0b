"""Cases over real HTTP: one per order problem at /cases (and at /alerts, its former name), and
the board's order — a case nobody owns above an owned one, then by last chance."""

from __future__ import annotations

import pytest

from services.order_watch.auth.tokens import Role

pytestmark = pytest.mark.integration


async def test_one_case_per_order_problem_at_both_names(api):
    order_id = await api.story_order()
    cases = (await api.call("GET", "/cases", Role.SALES, params={"order_id": order_id})).json()
    former = (await api.call("GET", "/alerts", Role.SALES, params={"order_id": order_id})).json()
    assert cases == former
    (case,) = cases
    assert case["status"] == "open" and case["findings"]
    assert {finding["rule"] for finding in case["findings"]} >= {case["rule"]}
    assert case["cheapest_act_by"] is not None and case["act_by"] >= case["cheapest_act_by"]
    detail = await api.call("GET", f"/cases/{case['alert_id']}", Role.SALES)
    assert detail.status_code == 200 and detail.json()["history"][0]["change"] == "raised"
    assert "/cases" in (await api.call("GET", "/openapi.json", Role.SALES)).json()["paths"]


async def test_an_unowned_case_sorts_above_an_owned_one(api):
    owned, unowned = await api.story_order(), await api.story_order()
    (first,) = (await api.call("GET", "/cases", Role.SALES, params={"order_id": owned})).json()
    assert (await api.call("POST", f"/cases/{first['alert_id']}/ack")).status_code == 200
    everything = (await api.call("GET", "/cases", Role.SALES, params={"limit": 1000})).json()
    order = [case["order_id"] for case in everything if case["order_id"] in (owned, unowned)]
    assert order == [unowned, owned]
    owners = [case["owner"] is not None for case in everything]
    assert owners == sorted(owners)  # every unowned case before every owned one
