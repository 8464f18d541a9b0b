"""The replay builds the snapshots the worker would, and fires time rules when the scheduler would.

Equivalence is checked against production code paths without a database: the worker's own row
mappers (`orders.flows`) fill ORM objects, and `evaluation.service.order_state` turns them into
the snapshot the live rules read. The replay's snapshot must be equal after every event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from services.common.contracts import new_envelope
from services.common.contracts.orders import OrderUpdated, OrderUpdatedEvent
from services.order_watch.backtest.replay import ENGINE, Replay
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.store import Store
from services.order_watch.evaluation.service import order_state
from services.order_watch.orders import flows
from services.order_watch.orders.models import CarrierEstimate, Order, Shipment, TrackingEvent
from services.order_watch.promise import load_catalog
from services.order_watch.reconcile import evaluate, next_check_at
from services.order_watch.reconcile.shipping_rules import ACCEPTANCE_SCAN_GRACE, NOT_SHIPPED_IN_TIME
from tests.support.events import label_created, order_placed

CATALOG = load_catalog()
ORIGIN = "America/Chicago"
STREAM = simulate(SimulationConfig(orders=25, seed=3, days=5))


class WorkerRows:
    """What the worker would have in its tables: rows from its own mappers, as ORM objects."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.shipments: dict[str, list[Shipment]] = defaultdict(list)
        self.scans: dict[tuple[str, str], list[TrackingEvent]] = defaultdict(list)
        self.estimates: dict[tuple[str, str], list[CarrierEstimate]] = defaultdict(list)

    def apply(self, event, now) -> None:
        if event.event_type == "order.placed":
            self.orders.setdefault(event.payload.order_id, Order(**flows._order_row(event, now)))
        elif event.event_type == "shipment.label_created":
            self.shipments[event.payload.order_id].append(Shipment(**flows._shipment_row(event, now)))
        elif event.event_type == "tracking.updated":
            key = (event.payload.carrier.lower(), event.payload.tracking_number)
            self.scans[key].append(TrackingEvent(**flows._tracking_row(event, now)))
            if event.payload.estimated_delivery is not None:
                self.estimates[key].append(CarrierEstimate(**flows._estimate_row(event, now)))

    def state(self, order_id: str):
        order = self.orders[order_id]
        order.cancelled_at = None
        for shipment in self.shipments[order_id]:
            shipment.voided_at = None
        return order_state(order, self.shipments[order_id], self.scans, self.estimates, ORIGIN)


def _normalised(state):
    shipments = tuple(
        replace(
            shipment,
            scans=tuple(sorted(shipment.scans, key=lambda scan: scan.event_id)),
            estimates=tuple(sorted(shipment.estimates, key=lambda estimate: estimate.event_time)),
        )
        for shipment in state.shipments
    )
    return replace(state, shipments=shipments, order_value=Decimal(state.order_value))


def test_snapshots_and_findings_equal_the_worker_path_after_every_event():
    store, rows = Store(ORIGIN), WorkerRows()
    for event in STREAM.events:
        now = event.occurred_at
        touched = store.apply_batch([event], now)
        rows.apply(event, now)
        for order_id in touched:
            ours, theirs = store.snapshot(order_id), rows.state(order_id)
            assert _normalised(ours) == _normalised(theirs)
            assert evaluate(ours, now, CATALOG) == evaluate(theirs, now, CATALOG)


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
