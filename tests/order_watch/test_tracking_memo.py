"""The worker keeps scan and estimate states between batches (`TrackingMemo`): the snapshots it
builds with them equal those read fresh, also after a batch whose evaluation failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.common.clock import ManualClock
from services.common.kafka import Delivered
from services.common.vocab import TrackingStatus
from services.order_watch.evaluation.service import ESTIMATE, SCAN, TrackingMemo, load_states
from services.order_watch.orders.models import Order, TrackingEvent
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import BatchApplier
from tests.order_watch.test_apply_order import NOW, scan, story_events

CHICAGO = ZoneInfo("America/Chicago")


def test_a_memo_forgets_by_kind_and_keeps_the_newer_half_when_trimmed() -> None:
    memo = TrackingMemo()
    scans, estimates = memo.table(SCAN), memo.table(ESTIMATE, CHICAGO)
    scans.update({i: f"scan {i}" for i in range(6)})
    estimates["e"] = "estimate"
    memo.forget(ESTIMATE, "e", ZoneInfo("America/New_York"))  # another zone's table: kept
    assert len(memo) == 7
    memo.forget(ESTIMATE, "e", CHICAGO)
    memo.trim(keep=6)
    assert len(memo) == 6
    memo.trim(keep=5)
    assert list(memo.table(SCAN)) == [3, 4, 5]


class FailsAfterEvaluating(BatchApplier):
    """A batch whose evaluation fails once its snapshots were built (the database went away)."""

    async def after_apply(self, session, touched: set[str]) -> None:
        await super().after_apply(session, touched)
        raise ConnectionError("the database went away")


def delivered(events: list) -> list[Delivered]:
    return [Delivered("test", event, None) for event in events]


@pytest.mark.integration
async def test_snapshots_from_the_memo_equal_fresh_ones_even_after_a_failed_evaluation(
    sessions, order_watch_settings: OrderWatchSettings
) -> None:
    clock = ManualClock(NOW)
    applier = BatchApplier(order_watch_settings, sessions, clock)
    events = story_events()
    await applier(delivered(events[:3]))
    assert len(applier.memo) >= 2  # the acceptance scan and its estimate

    # The scan is stored before the evaluation fails: what the memo mapped from it is true, and
    # the redelivered batch evaluates the order although its one event is no longer new.
    failing = FailsAfterEvaluating(order_watch_settings, sessions, clock)
    failing.memo = applier.memo
    late_scan = scan(datetime(2026, 11, 19, 12, 0, tzinfo=CHICAGO), TrackingStatus.IN_TRANSIT, "2026-11-25")
    with pytest.raises(ConnectionError):
        await failing(delivered([late_scan]))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TrackingEvent)) == 2
        assert await load_states(session, {"ORD-PERM"}, "America/Chicago", applier.memo) == await load_states(
            session, {"ORD-PERM"}, "America/Chicago"
        )

    clock.advance(timedelta(minutes=5))
    await applier(delivered([late_scan]))
    async with sessions() as session:
        checked_at = await session.scalar(select(Order.next_check_at).where(Order.order_id == "ORD-PERM"))
    assert checked_at is not None
    await applier(delivered(events[3:]))
    async with sessions() as session:
        kept = await load_states(session, {"ORD-PERM"}, "America/Chicago", applier.memo)
        fresh = await load_states(session, {"ORD-PERM"}, "America/Chicago")
    assert kept == fresh and len(kept["ORD-PERM"].shipments[0].scans) == 3
