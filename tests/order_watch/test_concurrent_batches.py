"""Two worker replicas apply batches of one order at the same moment, against the real database.

Replicas share the work by key: labels by order id, scans by tracking number, so one replica can
store a parcel's label while another stores its scan. Whatever the interleaving, the case must
end as one worker applying both would leave it. A test connection holds the order's row lock
to make the interleaving that used to lose the scan: both batches get as far as they can while
it is held, then it is released.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import ManualClock
from services.common.contracts.envelope import new_envelope
from services.common.contracts.tracking import TrackingUpdated, TrackingUpdatedEvent
from services.common.kafka import Delivered
from services.common.vocab import ExceptionReason, TrackingStatus
from services.order_watch.alerts.models import Alert
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import BatchApplier
from tests.support.events import STORY_LABEL_TIME, story_events, unique_order_id
from tests.support.polling import eventually

pytestmark = pytest.mark.integration
CHICAGO = ZoneInfo("America/Chicago")


def damaged_scan(tracking_number: str) -> TrackingUpdatedEvent:
    at = datetime(2026, 11, 18, 20, 30, tzinfo=CHICAGO)
    payload = TrackingUpdated(
        source="generic",
        carrier="ups",
        tracking_number=tracking_number,
        status=TrackingStatus.EXCEPTION,
        exception_reason=ExceptionReason.DAMAGED,
        event_time=at,
    )
    return new_envelope(TrackingUpdatedEvent, payload, occurred_at=at, produced_at=at, producer="test")


def delivered(*events) -> list[Delivered]:
    return [Delivered("test", event, None) for event in events]


async def case_of(sessions: async_sessionmaker[AsyncSession], order_id: str) -> list[tuple]:
    async with sessions() as session:
        alerts = await session.scalars(select(Alert).where(Alert.order_id == order_id))
        return sorted(
            (a.rule, a.status, a.severity, a.act_by, tuple(sorted((f["rule"], f["severity"]) for f in a.findings)))
            for a in alerts
        )


async def waiting_on_locks(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )


async def one_worker_case(sessions, settings: OrderWatchSettings, clock: ManualClock) -> list[tuple]:
    """The same story applied by one worker: placed, then label, then the scan."""
    order_id = unique_order_id()
    placed, label = story_events(order_id, tracking_number=f"1Z{order_id[-10:]}")
    worker = BatchApplier(settings, sessions, clock)
    for event in (placed, label, damaged_scan(label.payload.tracking_number)):
        await worker(delivered(event))
    return await case_of(sessions, order_id)


async def test_a_label_and_its_scan_applied_at_once_by_two_workers_end_as_one_worker_leaves_them(
    sessions, order_watch_settings: OrderWatchSettings
) -> None:
    clock = ManualClock(STORY_LABEL_TIME)
    expected = await one_worker_case(sessions, order_watch_settings, clock)

    labels, scans = (BatchApplier(order_watch_settings, sessions, clock) for _ in range(2))
    order_id = unique_order_id()
    for event in story_events(order_id, tracking_number=f"1Z{order_id[-10:]}"):
        await labels(delivered(event))
    assert await case_of(sessions, order_id) != expected, "the scan must change the case, or this test cannot fail"

    # Now the race, on a fresh order: the label's worker and the scan's worker at once.
    order_id = unique_order_id()
    placed, label = story_events(order_id, tracking_number=f"1Z{order_id[-10:]}")
    scan = damaged_scan(label.payload.tracking_number)
    await labels(delivered(placed))
    async with sessions() as holder, holder.begin():
        await holder.execute(
            text("SELECT 1 FROM order_watch.orders WHERE order_id = :id FOR NO KEY UPDATE"), {"id": order_id}
        )
        label_batch = asyncio.create_task(labels(delivered(label)))
        await eventually(lambda: _at_least(sessions, 1))  # the label's batch waits for the order
        scan_batch = asyncio.create_task(scans(delivered(scan)))
        # The scan's batch either finishes (and so never saw the label) or waits for the order too.
        await eventually(lambda: _done_or_waiting(sessions, scan_batch))
    await asyncio.wait_for(asyncio.gather(label_batch, scan_batch), timeout=30)
    assert await case_of(sessions, order_id) == expected


async def _at_least(sessions, count: int) -> bool:
    return await waiting_on_locks(sessions) >= count


async def _done_or_waiting(sessions, batch: asyncio.Task) -> bool:
    return batch.done() or await waiting_on_locks(sessions) >= 2


class FailsBeforeEvaluating(BatchApplier):
    """The process dies after the batch's events are stored, before its orders are evaluated."""

    async def after_apply(self, session, touched: set[str]) -> None:
        raise ConnectionError("killed between the two transactions")


async def test_a_batch_redelivered_after_a_crash_before_its_evaluation_is_evaluated_then(
    sessions, order_watch_settings: OrderWatchSettings
) -> None:
    clock = ManualClock(STORY_LABEL_TIME)
    order_id = unique_order_id()
    batch = delivered(*story_events(order_id, tracking_number=f"1Z{order_id[-10:]}"))
    with pytest.raises(ConnectionError):
        await FailsBeforeEvaluating(order_watch_settings, sessions, clock)(batch)
    assert await case_of(sessions, order_id) == []
    # Redelivered (offsets were not committed): every event is claimed already, yet the order is evaluated.
    await BatchApplier(order_watch_settings, sessions, clock)(batch)
    assert [rule for rule, *_ in await case_of(sessions, order_id)] == ["service_downgrade"]
