"""Due checks wait while the worker is behind on tracking.v1, and while nobody can tell.

A rule that fires on a missing scan must not fire while that scan sits unread on the topic
(ARCHITECTURE §5.10), so the scheduler holds until the worker's lag is under the bound.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.contracts.envelope import new_envelope
from services.common.contracts.tracking import TrackingUpdated, TrackingUpdatedEvent
from services.common.kafka import ensure_topics
from services.common.publish import send
from services.common.vocab import TrackingStatus
from services.devstack.processes import free_port
from services.order_watch.evaluation.scheduled import CatchUpHold

pytestmark = pytest.mark.integration


def scan(number: int) -> TrackingUpdatedEvent:
    now = datetime.now(UTC)
    payload = TrackingUpdated(
        source="generic",
        carrier="ups",
        tracking_number=f"1ZHOLD{number:08d}",
        status=TrackingStatus.IN_TRANSIT,
        event_time=now,
    )
    return new_envelope(TrackingUpdatedEvent, payload, occurred_at=now, produced_at=now, producer="test")


async def test_due_checks_hold_while_scans_wait_unread_and_resume_under_the_bound(order_watch_settings):
    await ensure_topics(order_watch_settings, ["tracking.v1"])
    await send(order_watch_settings, [scan(number) for number in range(5)])  # no worker reads them

    strict = CatchUpHold(order_watch_settings.model_copy(update={"scheduler_hold_lag": 2}))
    lenient = CatchUpHold(order_watch_settings.model_copy(update={"scheduler_hold_lag": 10}))

    assert await strict.holding()
    assert not await lenient.holding()


async def test_due_checks_hold_when_the_broker_cannot_say(order_watch_settings):
    unreachable = order_watch_settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}"})
    assert await CatchUpHold(unreachable).holding()
