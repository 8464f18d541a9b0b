"""Reshipment tasks over real HTTP: claim, complete (the reship is linked and watched), cancel; 409s."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.order_watch.auth.tokens import Role
from services.order_watch.orders.models import Shipment

pytestmark = pytest.mark.integration


async def open_task(api, order_id):
    (task,) = (await api.call("GET", "/tasks", Role.SALES, params={"order_id": order_id, "status": "open"})).json()
    return task


async def test_claim_then_complete_links_the_reship_and_the_case_is_recovering(api):
    order_id = await api.story_order()
    task = await open_task(api, order_id)
    assert (task["service_level"], task["carrier"]) == ("NEXT_DAY", "ups")
    assert (await api.call("POST", f"/tasks/{task['task_id']}/claim", Role.SALES)).status_code == 403

    claimed = await api.call("POST", f"/tasks/{task['task_id']}/claim")
    assert (claimed.json()["status"], claimed.json()["owner"]) == ("claimed", "fulfillment")
    assert (await api.call("POST", f"/tasks/{task['task_id']}/claim")).status_code == 409

    done = await api.call("POST", f"/tasks/{task['task_id']}/complete", json={"tracking_number": "1ZRESHIP0000000001"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["new_tracking_number"]) == ("completed", "1ZRESHIP0000000001")

    async with api.sessions() as session:
        shipments = list(await session.scalars(select(Shipment).where(Shipment.order_id == order_id)))
    reship = next(s for s in shipments if s.is_reship)
    assert (reship.carrier, reship.tracking_number, reship.label_service_level) == (
        "ups",
        "1ZRESHIP0000000001",
        "NEXT_DAY",
    )
    (case,) = (await api.call("GET", "/alerts", Role.SALES, params={"order_id": order_id})).json()
    assert (case["status"], case["rule"], case["severity"]) == ("recovering", "recovering", "info")
    assert [finding["rule"] for finding in case["findings"]] == ["recovering"]
    assert "1ZRESHIP0000000001" in case["summary"]
    open_tasks = await api.call("GET", "/tasks", Role.SALES, params={"order_id": order_id, "status": "open"})
    assert open_tasks.json() == []  # the recovery loop closes: no new task for the reship
    assert (await api.call("POST", f"/tasks/{task['task_id']}/cancel", json={"reason": "x"})).status_code == 409

    truth = (await api.call("GET", "/lookup", Role.SALES, params={"tracking_number": "1ZRESHIP0000000001"})).json()
    assert [brief["order_id"] for brief in truth] == [order_id]
    assert "Recovering: reshipped UPS Next Day Air Saver 1ZRESHIP0000000001, expected Fri Nov 20" in truth[0]["summary"]
    assert "at risk" not in truth[0]["summary"].lower()  # one verdict: the reship speaks for the order

    trail = (await api.call("GET", f"/orders/{order_id}/audit", Role.SALES)).json()
    task_trail = [(e["action"], e["actor"]) for e in trail if e["entity"] == "task"]
    assert task_trail == [("created", "system"), ("claimed", "fulfillment"), ("completed", "fulfillment")]


async def test_a_machine_client_cancels_an_open_task_with_its_reason(api):
    order_id = await api.story_order()
    task = await open_task(api, order_id)
    cancelled = await api.call(
        "POST", f"/tasks/{task['task_id']}/cancel", Role.INTEGRATION, json={"reason": "customer cancelled by phone"}
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["close_reason"]) == (
        "cancelled",
        "customer cancelled by phone",
    )
    completing = await api.call("POST", f"/tasks/{task['task_id']}/complete", json={"tracking_number": "1Z"})
    assert completing.status_code == 409
    trail = (await api.call("GET", f"/orders/{order_id}/audit", Role.SALES)).json()
    assert ("cancelled", "integration") in [(e["action"], e["actor"]) for e in trail if e["entity"] == "task"]


async def test_truth_lookup_by_customer_and_unknown_order(api):
    first, second = await api.story_order(), await api.story_order()
    found = await api.call("GET", "/lookup", Role.SALES, params={"customer_id": "cust-1"})
    assert {brief["order_id"] for brief in found.json()} == {first, second}
    assert all(brief["verdict"] == "at risk" for brief in found.json())
    assert (await api.call("GET", "/lookup", Role.SALES)).status_code == 422
    missing = await api.call("GET", "/orders/NOPE/truth", Role.SALES)
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
