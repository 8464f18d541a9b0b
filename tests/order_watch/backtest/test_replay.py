"""The replay builds the snapshots the worker would, and fires time rules when the scheduler would.

Equivalence is checked against production itself: the same stream goes through
`orders.flows.apply_events` into PostgreSQL and `evaluation.service.load_states` reads the
snapshots back; the replay's store must give equal snapshots, findings and touched orders after
every event. The stream is a simulation plus the events the simulator never emits (promise,
service and address updates — one arriving before its order —, a repeated cancellation, a voided
label and its replacement, an out-of-order scan, a carrier name in capitals).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.common.contracts import new_envelope
from services.common.contracts.orders import (
    Address,
    OrderCancelled,
    OrderCancelledEvent,
    OrderUpdated,
    OrderUpdatedEvent,
)
from services.common.contracts.shipments import ShipmentVoided, ShipmentVoidedEvent
from services.common.contracts.tracking import EstimatedDelivery, TrackingUpdated, TrackingUpdatedEvent
from services.common.db import transaction
from services.common.vocab import ServiceLevel, TrackingStatus
from services.order_watch.backtest.alerts import ENGINE
from services.order_watch.backtest.replay import Replay
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.store import Store
from services.order_watch.evaluation.service import load_states
from services.order_watch.orders.flows import apply_events, promise_in_force
from services.order_watch.promise import load_catalog
from services.order_watch.reconcile import evaluate, next_check_at
from services.order_watch.reconcile.shipping_rules import ACCEPTANCE_SCAN_GRACE, NOT_SHIPPED_IN_TIME
from tests.support.events import label_created, order_placed

CATALOG = load_catalog()
ORIGIN = "America/Chicago"
STREAM = simulate(SimulationConfig(orders=25, seed=3, days=5))
HOUR = dt.timedelta(hours=1)
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)")


def _envelope(event_class, payload, at: dt.datetime):
    return new_envelope(event_class, payload, occurred_at=at, produced_at=at, producer="test")


def _scan(carrier: str, tracking_number: str, at: dt.datetime, status: TrackingStatus, estimate: dt.date | None):
    payload = TrackingUpdated(
        source="generic",
        carrier=carrier,
        tracking_number=tracking_number,
        status=status,
        event_time=at,
        estimated_delivery=EstimatedDelivery(date=estimate) if estimate else None,
    )
    return _envelope(TrackingUpdatedEvent, payload, at)


def with_updates_cancels_and_voids(events: list) -> list:
    """The simulated stream (in arrival order) plus hand-built updates, cancellations and voids."""
    labels = {e.payload.order_id: e for e in events if e.event_type == "shipment.label_created"}
    placed = [e for e in events if e.event_type == "order.placed" and e.payload.order_id in labels]
    moved, early, cancelled, relabelled = placed[:4]
    extra = []
    # A new promise, a cheaper paid service and a new (business, Pacific) address a day in.
    order = moved.payload
    west = Address(postal_code="94105", country="US", region="CA", time_zone="America/Los_Angeles", residential=False)
    update = OrderUpdated(
        order_id=order.order_id,
        promised_by=order.promised_by + dt.timedelta(days=2),
        paid_service_level=ServiceLevel.GROUND,
        destination=west,
        reason="customer moved",
    )
    extra.append(_envelope(OrderUpdatedEvent, update, moved.occurred_at + 24 * HOUR))
    # Cancelled twice: the first cancellation stands.
    for hours in (30, 40):
        cancel = OrderCancelled(order_id=cancelled.payload.order_id, reason="customer request")
        extra.append(_envelope(OrderCancelledEvent, cancel, cancelled.occurred_at + hours * HOUR))
    # The first label is voided and replaced; the replacement is scanned, one scan arriving late
    # (its event time is before the previous scan's), one with the carrier name in capitals.
    label = labels[relabelled.payload.order_id]
    voided_at = label.occurred_at + HOUR
    void = ShipmentVoided(order_id=label.payload.order_id, shipment_id=label.payload.shipment_id, reason="reprint")
    extra.append(_envelope(ShipmentVoidedEvent, void, voided_at))
    new_label = label_created(
        label.payload.order_id,
        created_at=voided_at + HOUR,
        carrier=label.payload.carrier,
        tracking_number=f"{label.payload.tracking_number}R",
        service_code=label.payload.label_service_code,
        shipment_id=f"{label.payload.shipment_id}-R",
    )
    extra.append(new_label)
    carrier, number = label.payload.carrier, f"{label.payload.tracking_number}R"
    estimate = (voided_at + 72 * HOUR).date()
    accepted = _scan(carrier, number, voided_at + 6 * HOUR, TrackingStatus.ACCEPTED, estimate)
    late = _scan(carrier, number, voided_at + 5 * HOUR, TrackingStatus.IN_TRANSIT, estimate)
    shouting = _scan(carrier.upper(), number, voided_at + 8 * HOUR, TrackingStatus.IN_TRANSIT, None)
    extra += [accepted, replace_occurred(late, voided_at + 7 * HOUR), shouting]
    merged = sorted(events + extra, key=lambda e: e.occurred_at)
    # A promise change that happened after its order was placed, but arrives before it.
    promise = OrderUpdated(order_id=early.payload.order_id, promised_by=early.payload.promised_by + 36 * HOUR)
    merged.insert(merged.index(early), _envelope(OrderUpdatedEvent, promise, early.occurred_at + 2 * HOUR))
    return merged


def replace_occurred(event, at: dt.datetime):
    """The same event, delivered (and timestamped by the envelope) at `at`."""
    return event.model_copy(update={"occurred_at": at, "produced_at": at})


EXTENDED = with_updates_cancels_and_voids(STREAM.events)


def _normalised(state):
    """Scans and estimates stay in the order the worker's queries read them (event time, then arrival)."""
    return replace(state, order_value=Decimal(state.order_value))


def _instants(findings):
    """Findings with every datetime in their text in UTC: a summary or evidence renders a datetime with
    the offset it carries, and PostgreSQL gives every timestamptz back in UTC (the same instant)."""
    return [
        replace(finding, summary=_in_utc(finding.summary), evidence=_in_utc(finding.evidence)) for finding in findings
    ]


def _in_utc(value):
    if isinstance(value, dict):
        return {key: _in_utc(item) for key, item in value.items()}
    if isinstance(value, str):
        return ISO_DATETIME.sub(lambda match: dt.datetime.fromisoformat(match[0]).astimezone(dt.UTC).isoformat(), value)
    return value


def test_the_extended_stream_has_every_kind_of_event():
    kinds = {event.event_type for event in EXTENDED}
    assert {"order.updated", "order.cancelled", "shipment.voided"} <= kinds
    assert kinds - {event.event_type for event in STREAM.events} == {
        "order.updated",
        "order.cancelled",
        "shipment.voided",
    }


@pytest.mark.integration
async def test_snapshots_and_findings_equal_the_worker_path_after_every_event(sessions):
    """Each event applied by `apply_events` in its own transaction, as a one-event worker batch."""
    await _assert_equal_to_the_worker([[event] for event in EXTENDED], sessions)


@pytest.mark.integration
async def test_snapshots_equal_the_worker_path_after_every_batch(sessions):
    """Batches of up to 12 events: events of one batch are applied by event time, not arrival."""
    rng, batches, remaining = random.Random(5), [], list(EXTENDED)
    while remaining:
        size = rng.randint(1, 12)
        batches.append(remaining[:size])
        remaining = remaining[size:]
    await _assert_equal_to_the_worker(batches, sessions)


async def _assert_equal_to_the_worker(batches: list[list], sessions) -> None:
    store = Store(ORIGIN)
    for batch in batches:
        now = max(event.occurred_at for event in batch)
        touched = store.apply_batch(batch, now)
        async with transaction(sessions) as session:
            assert await apply_events(session, batch, now) == touched
            states = await load_states(session, touched, ORIGIN)
        assert states.keys() == {order_id for order_id in touched if store.snapshot(order_id) is not None}
        for order_id, theirs in states.items():
            ours = store.snapshot(order_id)
            assert _normalised(ours) == _normalised(theirs)
            assert _instants(evaluate(ours, now, CATALOG)) == _instants(evaluate(theirs, now, CATALOG))
    async with sessions() as session:
        every_order = await load_states(session, store.orders, ORIGIN)
    assert {order_id: _normalised(state) for order_id, state in every_order.items()} == {
        order_id: _normalised(store.snapshot(order_id)) for order_id in store.orders
    }
    _assert_the_hand_built_events_took_effect(store)


def _assert_the_hand_built_events_took_effect(store: Store) -> None:
    states = [store.snapshot(order_id) for order_id in store.orders]
    assert any(state.destination_tz == "America/Los_Angeles" and not state.residential for state in states)
    assert sum(state.cancelled for state in states) == 1
    assert any(
        any(s.voided for s in state.shipments) and not all(s.voided for s in state.shipments) for state in states
    )


def test_the_store_applies_updates_cancellations_and_voids_like_the_worker():
    store = Store(ORIGIN)
    for event in EXTENDED:
        store.apply_batch([event], event.occurred_at)
    _assert_the_hand_built_events_took_effect(store)
    cancels = [event for event in EXTENDED if event.event_type == "order.cancelled"]
    assert store.order(cancels[0].payload.order_id).cancelled_at == cancels[0].occurred_at


def test_the_promise_in_force_is_folded_in_event_time_order():
    at = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
    home = {"time_zone": "America/New_York"}  # stored before `residential` existed: homes by default
    placed = SimpleNamespace(occurred_at=at, promised_by=at, paid_service_level="NEXT_DAY", destination=home)
    moved = SimpleNamespace(
        occurred_at=at + HOUR, promised_by=None, paid_service_level=None, destination={**home, "residential": False}
    )
    later = SimpleNamespace(
        occurred_at=at + 2 * HOUR, promised_by=at + 9 * HOUR, paid_service_level=None, destination=None
    )
    folded = promise_in_force([later, placed, moved])
    assert folded == {
        "promised_by": at + 9 * HOUR,
        "paid_service_level": "NEXT_DAY",
        "destination": {**home, "residential": False},
        "destination_tz": "America/New_York",
        "residential": False,
        "promise_as_of": at + 2 * HOUR,
    }
    assert promise_in_force([placed])["residential"] is True
    assert promise_in_force([]) == {}


def test_next_check_reusing_findings_equals_a_fresh_evaluation_on_every_evaluation():
    store = Store(ORIGIN)
    compared = 0
    for event in STREAM.events:
        now = event.occurred_at
        for order_id in store.apply_batch([event], now):
            state = store.snapshot(order_id)
            findings = evaluate(state, now, CATALOG)
            assert next_check_at(state, now, CATALOG, findings) == next_check_at(state, now, CATALOG)
            compared += 1
    assert compared > 60


def test_replayed_events_change_nothing():
    store = Store(ORIGIN)
    for event in STREAM.events[:150]:
        store.apply_batch([event], event.occurred_at)
    assert store.apply_batch(STREAM.events[:150], STREAM.events[150].occurred_at) == set()


def test_a_promise_update_is_folded_in_event_time_order_even_when_it_arrives_first():
    placed_at = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
    placed = order_placed("ORD-U", placed_at=placed_at, promised_by=placed_at + dt.timedelta(days=2))
    later = placed_at + dt.timedelta(days=5)
    update = new_envelope(
        OrderUpdatedEvent,
        OrderUpdated(order_id="ORD-U", promised_by=later),
        occurred_at=placed_at + dt.timedelta(hours=1),
        produced_at=placed_at + dt.timedelta(hours=1),
        producer="test",
    )
    store = Store(ORIGIN)
    store.apply_batch([update], placed_at)
    store.apply_batch([placed], placed_at + dt.timedelta(hours=2))
    assert store.snapshot("ORD-U").promised_by == later


def test_the_scheduler_fires_not_shipped_at_the_deadline_with_no_event_then():
    placed_at = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))  # Monday, Chicago
    promised_by = dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    events = [
        order_placed("ORD-S", placed_at=placed_at, promised_by=promised_by),
        label_created("ORD-S", created_at=placed_at + dt.timedelta(hours=2), service_code="01"),
    ]
    result = Replay(ORIGIN, CATALOG).run(events)
    alerts = [alert for alert in result.of(ENGINE) if alert.rule == NOT_SHIPPED_IN_TIME]
    monday_cutoff = dt.datetime(2026, 11, 16, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert [alert.at for alert in alerts] == [monday_cutoff + ACCEPTANCE_SCAN_GRACE + dt.timedelta(microseconds=1)]
    assert result.scheduled_checks >= 1


def test_a_replay_makes_no_reference_cycles_so_pausing_the_cycle_collector_is_safe():
    import gc

    events = with_updates_cancels_and_voids(STREAM.events)
    gc.collect()
    assert gc.isenabled()
    Replay(ORIGIN, CATALOG).run(events)
    assert gc.isenabled(), "the collector is running again after the replay"
    assert gc.collect() == 0, "whatever the replay left behind, reference counting freed"
