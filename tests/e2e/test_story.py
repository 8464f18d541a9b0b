"""PRODUCT.md story 1 as an acceptance test, through the real broker and PostgreSQL.

Paid next-day on a Wednesday, promised Friday; the warehouse label says ground. The alert and
a reship task (next-day, act by Thursday's cut-off) exist as soon as the label is consumed; the
carrier's Monday estimate shows up in the evidence; when Thursday's cut-off passes undone the
task expires, the alert escalates, and the next recommendation needs Saturday delivery.
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
from services.order_watch.alerts.models import Alert, AlertHistory
from services.order_watch.evaluation.scheduled import run_due_checks
from services.order_watch.tasks.models import Task
from tests.support.events import STORY_LABEL_TIME, generic_scan, story_events, unique_order_id
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration
CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")


async def fetch(sessions, model, order_id, **filters):
    async with sessions() as session:
        query = select(model).where(model.order_id == order_id)
        for name, value in filters.items():
            query = query.where(getattr(model, name) == value)
        return list(await session.scalars(query))


async def test_paid_overnight_shipped_ground(carrier_adapter_settings, order_watch_settings, sessions):
    order_id = unique_order_id()
    tracking_number = "1ZSTORY00000000001"
    clock = ManualClock(STORY_LABEL_TIME)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions, clock) as system:
        await send(order_watch_settings, story_events(order_id, tracking_number))

        async def open_downgrade_and_task():
            alerts = await fetch(sessions, Alert, order_id, rule="service_downgrade", status="open")
            tasks = await fetch(sessions, Task, order_id, status="open")
            return (alerts[0], tasks[0]) if alerts and tasks else None

        alert, task = await eventually(open_downgrade_and_task)
        assert alert.evidence  # the paid vs label facts a person can check
        assert "NEXT_DAY" in json.dumps(alert.evidence) and "GROUND" in json.dumps(alert.evidence)
        assert task.service_level == "NEXT_DAY"
        assert task.options == []
        assert task.act_by == datetime(2026, 11, 19, 17, 0, tzinfo=CHICAGO)
        assert task.expected_delivery.astimezone(NEW_YORK).date() <= datetime(2026, 11, 20).date()

        # Thursday morning the carrier scans the parcel and estimates Monday.
        clock.set(datetime(2026, 11, 19, 10, 5, tzinfo=CHICAGO))
        scan = generic_scan(
            tracking_number,
            at=datetime(2026, 11, 19, 9, 30, tzinfo=CHICAGO),
            status="accepted",
            estimated_delivery={"date": "2026-11-23", "source": "carrier"},
            service_level="GROUND",
        )
        body = json.dumps(scan).encode()
        headers, _ = all_sources()["generic"].sign_request(
            body, carrier_adapter_settings.secrets_for("generic")[0], clock.now()
        )
        response = await system.client.post(
            f"{system.adapter_url}/webhooks/generic",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
        assert response.status_code == 202, response.text

        async def estimate_finding():
            (case,) = await fetch(sessions, Alert, order_id, status="open")
            found = [finding for finding in case.findings if finding["rule"] == "carrier_estimate_late"]
            return (case, found[0]) if found else None

        case, late = await eventually(estimate_finding)
        assert case.alert_id == alert.alert_id  # the same case, one more finding
        assert "2026-11-23" in json.dumps(late["evidence"])

        # Thursday's cut-off passes and nobody reshipped.
        clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=CHICAGO))
        await run_due_checks(order_watch_settings, sessions, clock)
        expired = await fetch(sessions, Task, order_id, task_id=task.task_id)
        assert expired[0].status == "expired"
        (current,) = await fetch(sessions, Task, order_id, status="open")
        assert current.options == ["SATURDAY_DELIVERY"]
        assert current.expected_delivery.astimezone(NEW_YORK).date() == datetime(2026, 11, 21).date()
        async with sessions() as session:
            escalated = (await session.scalars(select(AlertHistory).where(AlertHistory.change == "escalated"))).all()
        assert escalated, "the alert owning the expired task escalates"

        events = await read_topic(order_watch_settings, "alerts.v2", expect=3)
        types = {json.loads(record.value)["event_type"] for record in events}
        assert {"alert.raised", "alert.escalated"} <= types
        task_events = await read_topic(order_watch_settings, "tasks.v1", expect=3)
        assert {json.loads(record.value)["event_type"] for record in task_events} >= {"task.created", "task.closed"}
