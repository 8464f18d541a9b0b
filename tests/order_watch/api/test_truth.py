"""The truth view of PRODUCT.md story 1, through the broker, the worker and the staff API.

Wednesday: paid next-day, promised Friday, label ground. Thursday morning the carrier scans
the parcel, reports ground and estimates Monday; maria (fulfillment) has claimed the reship.
A sales rep asks: one answer says all of it, each fact with its source and as-of time.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.carrier_adapter.carriers import all_sources
from services.common.clock import ManualClock
from services.common.publish import send
from services.order_watch.auth.tokens import Role
from services.order_watch.tasks.models import Task
from tests.support.events import STORY_LABEL_TIME, generic_scan, story_events, unique_order_id
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration
CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")


async def post_scan(system, settings, clock, scan):
    body = json.dumps(scan).encode()
    headers, _ = all_sources()["generic"].sign_request(body, settings.secrets_for("generic")[0], clock.now())
    answer = await system.client.post(
        f"{system.adapter_url}/webhooks/generic", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert answer.status_code == 202, answer.text


async def test_the_story_in_one_answer(carrier_adapter_settings, order_watch_settings, sessions):
    order_id, tracking_number = unique_order_id(), "1ZTRUTH0000000001"
    label_time = STORY_LABEL_TIME
    clock = ManualClock(label_time)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions, clock) as system:
        api = system.order_watch_url
        await send(order_watch_settings, story_events(order_id, tracking_number))

        async def open_task():
            async with sessions() as session:
                return await session.scalar(select(Task).where(Task.order_id == order_id, Task.status == "open"))

        task = await eventually(open_task)
        maria = await system.client.post(
            f"{api}/tokens", headers=system.auth(Role.ADMIN), json={"name": "maria", "role": "fulfillment"}
        )
        claimed = await system.client.post(
            f"{api}/tasks/{task.task_id}/claim", headers={"authorization": f"Bearer {maria.json()['token']}"}
        )
        assert claimed.status_code == 200, claimed.text

        clock.set(datetime(2026, 11, 19, 10, 5, tzinfo=CHICAGO))
        scan = generic_scan(
            tracking_number,
            at=datetime(2026, 11, 19, 9, 30, tzinfo=CHICAGO),
            status="accepted",
            estimated_delivery={"date": "2026-11-23", "source": "carrier"},
            service_level="GROUND",
        )
        await post_scan(system, carrier_adapter_settings, clock, scan)

        async def truth_with_estimate():
            answer = await system.client.get(f"{api}/orders/{order_id}/truth", headers=system.auth(Role.SALES))
            assert answer.status_code == 200, answer.text
            return answer.json() if answer.json()["carrier_estimate"] else None

        truth = await eventually(truth_with_estimate)
    summary = truth["summary"].lower()
    for phrase in (
        "paid next-day",
        "shipped ground",
        "carrier estimate mon nov 23",
        "promised fri nov 20",
        "at risk",
        "reship task open",
        "owned by maria",
        "act by thu nov 19, 17:00 cst",
    ):
        assert phrase in summary, f"{phrase!r} not in: {truth['summary']}"
    assert truth["verdict"] == "at risk"
    assert truth["reason"]

    assert (truth["paid_service"]["value"], truth["paid_service"]["source"]) == ("NEXT_DAY", "order (orders.v1)")
    assert truth["label_service"]["value"] == "GROUND"
    assert datetime.fromisoformat(truth["label_service"]["as_of"]) == label_time
    assert truth["carrier_reported_service"]["value"] == "GROUND"
    assert truth["carrier_estimate"]["value"].startswith("2026-11-23")
    assert truth["carrier_estimate"]["source"] == "carrier estimate"
    assert truth["projected_delivery"]["source"].startswith("order_watch")
    for name in ("paid_service", "label_service", "carrier_reported_service", "promised_by", "carrier_estimate"):
        assert truth[name]["source"] and truth[name]["as_of"], name

    (task_out,) = truth["open_tasks"]
    assert (task_out["owner"], task_out["status"]) == ("maria", "claimed")
    assert datetime.fromisoformat(task_out["act_by"]) == datetime(2026, 11, 19, 17, 0, tzinfo=CHICAGO)
    (case,) = truth["open_alerts"]  # one case for the order's problem, whichever rules found it
    assert case["rule"] == "service_downgrade"

    timeline = truth["timeline"]
    # The promise reads in the customer's zone, as the customer was told it (not as an ISO instant).
    assert truth["destination_time_zone"] == "America/New_York"
    placed_entry = next(entry for entry in timeline if entry["kind"] == "order.placed")
    assert "promised by Fri Nov 20, 20:00 EST" in placed_entry["description"]
    times = [datetime.fromisoformat(entry["event_time"]) for entry in timeline]
    assert times == sorted(times)
    kinds = [entry["kind"] for entry in timeline]
    assert kinds.index("order.placed") < kinds.index("shipment.label_created") < kinds.index("tracking.accepted")
    assert "task.claimed" in kinds
    assert all(entry["received_at"] for entry in timeline if entry["source"] in ("orders.v1", "shipments.v1"))
    scan_entry = next(entry for entry in timeline if entry["kind"] == "tracking.accepted")
    assert "estimate 2026-11-23" in scan_entry["description"]
    assert datetime.fromisoformat(scan_entry["received_at"]) == datetime(2026, 11, 19, 10, 5, tzinfo=CHICAGO)


async def test_lookup_forgives_how_people_type(api):
    order_id = await api.story_order()
    tracking_number = f"1Z{order_id[-10:]}"
    typed = f" {tracking_number[:4].lower()}-{tracking_number[4:8]} {tracking_number[8:].lower()} "
    by_number = await api.call("GET", "/lookup", Role.SALES, params={"tracking_number": typed})
    by_customer = await api.call("GET", "/lookup", Role.SALES, params={"customer_id": " CUST-1"})
    assert by_number.status_code == 200, by_number.text
    assert [brief["order_id"] for brief in by_number.json()] == [order_id]
    assert order_id in [brief["order_id"] for brief in by_customer.json()]
