"""Against the real database: arrival order and replays do not change the final alerts."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.common.contracts.envelope import new_envelope
from services.common.contracts.orders import OrderCancelled, OrderCancelledEvent, OrderUpdated, OrderUpdatedEvent
from services.common.contracts.tracking import EstimatedDelivery, TrackingUpdated, TrackingUpdatedEvent
from services.common.db import transaction
from services.common.vocab import ServiceLevel, TrackingStatus
from services.order_watch.alerts.models import Alert
from services.order_watch.db import OutboxMessage
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.orders.flows import apply_events
from services.order_watch.orders.models import Order
from services.order_watch.tasks.models import Task
from tests.support.events import label_created, order_placed

pytestmark = pytest.mark.integration
CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 19, 16, 0, tzinfo=CHICAGO)


def scan(at: datetime, status: TrackingStatus, estimate: str | None = None) -> TrackingUpdatedEvent:
    payload = TrackingUpdated(
        source="generic",
        carrier="ups",
        tracking_number="1ZORDER",
        status=status,
        event_time=at,
        estimated_delivery=EstimatedDelivery(date=estimate) if estimate else None,
        service_level=ServiceLevel.GROUND,
    )
    return new_envelope(TrackingUpdatedEvent, payload, occurred_at=at, produced_at=at, producer="test")


def story_events() -> list:
    placed_at = datetime(2026, 11, 18, 14, 0, tzinfo=CHICAGO)
    return [
        order_placed("ORD-PERM", placed_at=placed_at, promised_by=datetime(2026, 11, 20, 20, 0, tzinfo=NEW_YORK)),
        label_created("ORD-PERM", created_at=datetime(2026, 11, 18, 17, 45, tzinfo=CHICAGO), tracking_number="1ZORDER"),
        scan(datetime(2026, 11, 18, 19, 0, tzinfo=CHICAGO), TrackingStatus.ACCEPTED, "2026-11-23"),
        scan(datetime(2026, 11, 19, 6, 0, tzinfo=CHICAGO), TrackingStatus.IN_TRANSIT, "2026-11-24"),
        new_envelope(
            OrderUpdatedEvent,
            OrderUpdated(
                order_id="ORD-PERM",
                promised_by=datetime(2026, 11, 24, 20, 0, tzinfo=NEW_YORK),
                reason="customer agreed",
            ),
            occurred_at=datetime(2026, 11, 19, 9, 0, tzinfo=CHICAGO),
            produced_at=datetime(2026, 11, 19, 9, 0, tzinfo=CHICAGO),
            producer="test",
        ),
    ]


async def apply_in_batches(sessions, events: list, rng: random.Random) -> None:
    remaining = list(events)
    while remaining:
        size = rng.randint(1, len(remaining))
        batch, remaining = remaining[:size], remaining[size:]
        async with transaction(sessions) as session:
            touched = await apply_events(session, batch, NOW)
            await evaluate_orders(session, touched, NOW, "America/Chicago")


async def final_state(sessions) -> tuple:
    async with sessions() as session:
        # What is in force at the end; an order of arrival may legitimately raise and clear
        # something on the way (kept in the alert's history), but must not change the outcome.
        alerts = sorted(
            (a.rule, a.shipment_key, a.severity, a.act_by)
            for a in await session.scalars(select(Alert).where(Alert.status != "resolved"))
        )
        tasks = sorted(
            (t.status, t.service_code, t.act_by)
            for t in await session.scalars(select(Task).where(Task.status.in_(("open", "claimed"))))
        )
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return alerts, tasks, outbox


async def wipe(sessions) -> None:
    from sqlalchemy import text

    async with transaction(sessions) as session:
        tables = (
            await session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'order_watch'"))
        ).scalars()
        names = ", ".join(f'order_watch."{name}"' for name in tables if name != "alembic_version")
        await session.execute(text(f"TRUNCATE {names}"))


async def test_any_arrival_order_gives_the_same_alerts_and_replay_changes_nothing(sessions):
    events = story_events()
    await apply_in_batches(sessions, events, random.Random(0))
    expected_alerts, expected_tasks, outbox_after_first = await final_state(sessions)
    assert expected_alerts, "the scenario raises alerts"
    # Replaying everything (in another order, other batches) changes nothing, not even the outbox.
    await apply_in_batches(sessions, list(reversed(events)), random.Random(1))
    assert await final_state(sessions) == (expected_alerts, expected_tasks, outbox_after_first)
    for seed in range(2, 6):
        await wipe(sessions)
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        await apply_in_batches(sessions, shuffled, random.Random(seed))
        alerts, tasks, _ = await final_state(sessions)
        assert (alerts, tasks) == (expected_alerts, expected_tasks), f"arrival order {seed} differs"


async def test_a_scan_naming_its_carrier_in_capitals_touches_the_order(sessions):
    placed, label = story_events()[:2]
    shouting = scan(datetime(2026, 11, 18, 19, 0, tzinfo=CHICAGO), TrackingStatus.ACCEPTED)
    shouting = shouting.model_copy(update={"payload": shouting.payload.model_copy(update={"carrier": "UPS"})})
    async with transaction(sessions) as session:
        await apply_events(session, [placed, label], NOW)
    async with transaction(sessions) as session:
        assert await apply_events(session, [shouting], NOW) == {"ORD-PERM"}


async def test_the_earliest_cancellation_stands_whatever_the_arrival_order(sessions):
    placed = story_events()[0]
    first, second = (
        new_envelope(
            OrderCancelledEvent,
            OrderCancelled(order_id="ORD-PERM", reason=reason),
            occurred_at=at,
            produced_at=at,
            producer="test",
        )
        for reason, at in (
            ("customer", datetime(2026, 11, 19, 8, 0, tzinfo=CHICAGO)),
            ("duplicate", datetime(2026, 11, 19, 9, 0, tzinfo=CHICAGO)),
        )
    )
    for batch in ([placed], [second], [first]):  # the later cancellation arrives first
        async with transaction(sessions) as session:
            await apply_events(session, batch, NOW)
    async with sessions() as session:
        order = await session.get(Order, "ORD-PERM")
    assert order.cancelled_at == datetime(2026, 11, 19, 8, 0, tzinfo=CHICAGO)
