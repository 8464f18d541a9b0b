"""PRODUCT.md story 1 to its end, as an acceptance test through the real broker, PostgreSQL and HTTP:
downgrade → one case and a reship task → the task completed with the recommended reship → no new
finding, no new task, the case "recovering" → the reship delivered on time → the case resolved by
itself, with one truthful summary at each step. And the variant where the reship is not scanned
by its own cut-off: the same case opens again and says so."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.carrier_adapter.carriers import all_sources
from services.common.clock import ManualClock
from services.common.publish import send
from services.order_watch.alerts.models import Alert
from services.order_watch.auth.tokens import Role
from services.order_watch.evaluation.scheduled import run_due_checks
from services.order_watch.orders.models import TrackingEvent
from services.order_watch.tasks.models import Task
from tests.support.events import STORY_LABEL_TIME, generic_scan, story_events, unique_order_id
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration
CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
RESHIP = "1ZRESHIPSTORY00001"


async def rows(sessions, model, order_id):
    async with sessions() as session:
        return list(await session.scalars(select(model).where(model.order_id == order_id)))


async def scans_of(sessions, tracking_number):
    async with sessions() as session:
        query = select(TrackingEvent).where(TrackingEvent.tracking_number == tracking_number)
        return list(await session.scalars(query))


async def post_scan(system, adapter_settings, clock, tracking_number, at, status):
    body = json.dumps(generic_scan(tracking_number, at=at, status=status)).encode()
    secret = adapter_settings.secrets_for("generic")[0]
    headers, _ = all_sources()["generic"].sign_request(body, secret, clock.now())
    response = await system.client.post(
        f"{system.adapter_url}/webhooks/generic", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 202, response.text


async def truth_summary(system, order_id):
    response = await system.client.get(f"{system.order_watch_url}/orders/{order_id}/truth", headers=system.auth())
    assert response.status_code == 200, response.text
    return response.json()


async def downgrade_case_and_task(system, settings, sessions, clock):
    order_id = unique_order_id()
    await send(settings, story_events(order_id, "1ZSTORYRECOVERY001"))

    async def case_and_task():
        cases = [case for case in await rows(sessions, Alert, order_id) if case.status == "open"]
        tasks = [task for task in await rows(sessions, Task, order_id) if task.status == "open"]
        return (cases[0], tasks[0]) if cases and tasks else None

    case, task = await eventually(case_and_task)
    assert case.rule == "service_downgrade" and case.severity == "critical"
    truth = await truth_summary(system, order_id)
    assert truth["verdict"] == "at risk"
    # Wednesday evening, a person completes the task with what it recommended.
    clock.set(datetime(2026, 11, 18, 18, 30, tzinfo=CHICAGO))
    auth = system.auth(Role.FULFILLMENT)
    done = await system.client.post(
        f"{system.order_watch_url}/tasks/{task.task_id}/complete", json={"tracking_number": RESHIP}, headers=auth
    )
    assert done.status_code == 200, done.text
    return order_id, case


async def test_the_reship_closes_the_loop_and_the_case_resolves_itself(
    carrier_adapter_settings, order_watch_settings, sessions
):
    clock = ManualClock(STORY_LABEL_TIME)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions, clock) as system:
        order_id, case = await downgrade_case_and_task(system, order_watch_settings, sessions, clock)

        (recovering,) = await rows(sessions, Alert, order_id)
        assert (recovering.alert_id, recovering.status) == (case.alert_id, "recovering")
        assert [finding["rule"] for finding in recovering.findings] == ["recovering"]
        assert [task.status for task in await rows(sessions, Task, order_id)] == ["completed"]
        truth = await truth_summary(system, order_id)
        assert truth["verdict"] == "recovering"
        assert RESHIP in truth["summary"] and "at risk" not in truth["summary"].lower()

        # Thursday: the carrier has the reship; the scheduler finds nothing to raise.
        clock.set(datetime(2026, 11, 19, 16, 30, tzinfo=CHICAGO))
        await post_scan(
            system, carrier_adapter_settings, clock, RESHIP, datetime(2026, 11, 19, 16, 0, tzinfo=CHICAGO), "accepted"
        )
        await eventually(lambda: scans_of(sessions, RESHIP))
        clock.set(datetime(2026, 11, 20, 1, 0, tzinfo=CHICAGO))
        await run_due_checks(order_watch_settings, sessions, clock)
        assert [task.status for task in await rows(sessions, Task, order_id)] == ["completed"]

        # Friday morning it is delivered, on time: the case resolves by itself.
        clock.set(datetime(2026, 11, 20, 11, 0, tzinfo=NEW_YORK))
        delivered_at = datetime(2026, 11, 20, 10, 30, tzinfo=NEW_YORK)
        await post_scan(system, carrier_adapter_settings, clock, RESHIP, delivered_at, "delivered")

        async def resolved():
            (found,) = await rows(sessions, Alert, order_id)
            return found if found.status == "resolved" else None

        done = await eventually(resolved)
        assert (done.alert_id, done.resolution) == (case.alert_id, "condition_cleared")
        truth = await truth_summary(system, order_id)
        assert truth["verdict"] == "delivered on time", truth["summary"]
        assert [task.status for task in await rows(sessions, Task, order_id)] == ["completed"]


async def test_a_reship_not_scanned_by_its_own_cutoff_opens_the_same_case_again(
    carrier_adapter_settings, order_watch_settings, sessions
):
    clock = ManualClock(STORY_LABEL_TIME)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions, clock) as system:
        order_id, case = await downgrade_case_and_task(system, order_watch_settings, sessions, clock)

        # Thursday's cut-off, the reship's own, passes with no scan, and the grace after it.
        clock.set(datetime(2026, 11, 20, 0, 30, tzinfo=CHICAGO))
        await run_due_checks(order_watch_settings, sessions, clock)
        (reopened,) = await rows(sessions, Alert, order_id)
        assert (reopened.alert_id, reopened.status) == (case.alert_id, "open")
        (missed,) = [f for f in reopened.findings if f["rule"] == "not_shipped_in_time" and RESHIP in f["summary"]]
        assert missed["summary"].startswith("Reship") and "Thu" in missed["summary"]  # its own deadline
        truth = await truth_summary(system, order_id)
        assert truth["verdict"] == "at risk"
