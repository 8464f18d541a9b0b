"""The staff API answers a NUL it cannot store with a 4xx naming where, for every role.

PostgreSQL refuses the byte, and before issue 13 every such request was a "503 retry later"
with a stack in the log, for any token (sales included).
"""

from __future__ import annotations

import pytest

from services.order_watch.auth.tokens import Role

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/orders/ORD-%00", {}, "path"),
        ("/orders/ORD-1/truth", {"nothing": "x\x00"}, "query.nothing"),
        ("/lookup", {"tracking_number": "1Z\x00"}, "query.tracking_number"),
        ("/alerts", {"status": "open\x00"}, "query.status"),
        ("/tasks", {"order_id": "\x00"}, "query.order_id"),
        ("/ui/search", {"q": "\x00"}, "query.q"),
    ],
)
async def test_a_nul_in_a_parameter_is_a_400_naming_it(api, path, params, field):
    response = await api.call("GET", path, Role.SALES, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert "NUL" in response.json()["detail"]


async def test_a_nul_in_a_json_body_is_a_422_naming_the_field(api):
    order_id = await api.story_order()
    (alert,) = (await api.call("GET", "/alerts", Role.FULFILLMENT, params={"order_id": order_id})).json()
    response = await api.call(
        "POST", f"/alerts/{alert['alert_id']}/notes", Role.FULFILLMENT, json={"text": "called the carrier\u0000"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body.text"
