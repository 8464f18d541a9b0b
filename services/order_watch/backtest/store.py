"""In-memory order state: the worker's tables without a database, and the snapshots the rules read.

`apply_batch` follows `orders.flows.apply_events` step by step — event ids claimed once, fresh
events sorted by event time, orders (insert-ignore, promise versions folded in event order,
cancellations), then labels and voids, then scans and estimates — and returns the orders
touched. `snapshot` builds the same `OrderState` that `evaluation.service.order_state` builds
from those rows, so the rules cannot tell a backtest from production.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.common.contracts import Envelope
from services.common.contracts.tracking import EstimatedDelivery
from services.common.vocab import CustomerTier, EstimateSource
from services.order_watch.reconcile.state import EstimateState, LineState, OrderState, ScanState, ShipmentState

TrackingKey = tuple[str, str]


@dataclass
class OrderRow:
    """The `orders` row: placed facts, then the promise in force (folded from every version)."""

    placed: Any
    promised_by: dt.datetime
    paid_service_level: Any
    destination_tz: str
    residential: bool
    cancelled_at: dt.datetime | None = None


@dataclass
class ShipmentRow:
    label: Any
    voided_at: dt.datetime | None = None


@dataclass
class EstimateRow:
    """A carrier estimate as stored: the sender's estimate, read at the destination at snapshot time."""

    estimate: EstimatedDelivery
    source: EstimateSource
    received_at: dt.datetime
    event_time: dt.datetime


@dataclass
class Store:
    """The tables `apply_events` writes, in dictionaries; one snapshot cache per order."""

    origin_tz: str
    processed: set[uuid.UUID] = field(default_factory=set)
    orders: dict[str, OrderRow] = field(default_factory=dict)
    versions: dict[str, list[tuple[dt.datetime, int, Any]]] = field(default_factory=lambda: defaultdict(list))
    shipments: dict[str, ShipmentRow] = field(default_factory=dict)
    shipments_by_order: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    orders_by_tracking: dict[TrackingKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    scans: dict[TrackingKey, list[ScanState]] = field(default_factory=lambda: defaultdict(list))
    estimates: dict[TrackingKey, list[EstimateRow]] = field(default_factory=lambda: defaultdict(list))
    _snapshots: dict[str, OrderState] = field(default_factory=dict)
    _version_seq: int = 0

    def apply_batch(self, events: Sequence[Envelope[Any]], now: dt.datetime) -> set[str]:
        """Apply one consumed batch; returns the orders it touched (replays touch nothing)."""
        fresh = sorted(self._claim(events), key=lambda event: event.occurred_at)
        by_type: dict[str, list[Envelope[Any]]] = defaultdict(list)
        for event in fresh:
            by_type[event.event_type].append(event)
        touched = self._apply_orders(by_type)
        touched |= self._apply_shipments(by_type)
        touched |= self._apply_tracking(by_type["tracking.updated"], now)
        for order_id in touched:
            self._snapshots.pop(order_id, None)
        return touched

    def snapshot(self, order_id: str) -> OrderState | None:
        """The order as the rules see it, or None when it was never placed."""
        state = self._snapshots.get(order_id)
        if state is None and order_id in self.orders:
            state = self._snapshots[order_id] = self._build(order_id)
        return state

    def order(self, order_id: str) -> OrderRow | None:
        return self.orders.get(order_id)

    def _claim(self, events: Iterable[Envelope[Any]]) -> list[Envelope[Any]]:
        fresh = []
        for event in events:
            if event.event_id not in self.processed:
                self.processed.add(event.event_id)
                fresh.append(event)
        return fresh

    def _apply_orders(self, by_type: dict[str, list[Envelope[Any]]]) -> set[str]:
        placed, updated = by_type["order.placed"], by_type["order.updated"]
        for event in placed:
            order = event.payload
            if order.order_id not in self.orders:
                self.orders[order.order_id] = OrderRow(
                    order, order.promised_by, order.paid_service_level, order.destination.time_zone,
                    order.destination.residential,
                )  # fmt: skip
        for event in placed + updated:
            self._version_seq += 1
            self.versions[event.payload.order_id].append((event.occurred_at, self._version_seq, event.payload))
        changed = {event.payload.order_id for event in placed + updated}
        for order_id in changed:
            self._refresh_promise(order_id)
        cancelled = {event.payload.order_id: event.occurred_at for event in by_type["order.cancelled"]}
        for order_id, at in cancelled.items():
            row = self.orders.get(order_id)
            if row is not None and row.cancelled_at is None:
                row.cancelled_at = at
        return changed | set(cancelled)

    def _refresh_promise(self, order_id: str) -> None:
        """The promise in force is the fold of every version in event order (arrival order does not matter)."""
        row = self.orders.get(order_id)
        if row is None:
            return
        for _, _, version in sorted(self.versions[order_id], key=lambda item: (item[0], item[1])):
            if version.promised_by is not None:
                row.promised_by = version.promised_by
            if version.paid_service_level is not None:
                row.paid_service_level = version.paid_service_level
            if version.destination is not None:
                row.destination_tz = version.destination.time_zone
                row.residential = version.destination.residential

    def _apply_shipments(self, by_type: dict[str, list[Envelope[Any]]]) -> set[str]:
        labels = by_type["shipment.label_created"]
        for event in labels:
            label = event.payload
            if label.shipment_id not in self.shipments:
                self.shipments[label.shipment_id] = ShipmentRow(label)
                self.shipments_by_order[label.order_id].append(label.shipment_id)
                self.orders_by_tracking[(label.carrier.lower(), label.tracking_number)].add(label.order_id)
        voided = by_type["shipment.voided"]
        for event in voided:
            row = self.shipments.get(event.payload.shipment_id)
            if row is not None and row.voided_at is None:
                row.voided_at = event.occurred_at
        return {event.payload.order_id for event in labels + voided}

    def _apply_tracking(self, events: list[Envelope[Any]], now: dt.datetime) -> set[str]:
        touched: set[str] = set()
        for event in events:
            scan = event.payload
            key = (scan.carrier.lower(), scan.tracking_number)
            self.scans[key].append(_scan_state(event, now))
            estimate = scan.estimated_delivery
            if estimate is not None:
                self.estimates[key].append(EstimateRow(estimate, estimate.source, now, scan.event_time))
            touched |= self.orders_by_tracking.get(key, set())
        return touched

    def _build(self, order_id: str) -> OrderState:
        row = self.orders[order_id]
        placed = row.placed
        destination = ZoneInfo(row.destination_tz)
        labels = sorted(
            (self.shipments[shipment_id] for shipment_id in self.shipments_by_order.get(order_id, ())),
            key=lambda shipment: shipment.label.label_created_at,
        )
        return OrderState(
            order_id=order_id,
            customer_id=placed.customer.customer_id,
            customer_tier=CustomerTier(placed.customer.tier),
            order_value=placed.order_value.amount,
            currency=placed.order_value.currency,
            placed_at=placed.placed_at,
            origin_tz=self.origin_tz,
            destination_tz=row.destination_tz,
            paid_service_level=row.paid_service_level,
            promised_by=row.promised_by,
            residential=row.residential,
            cancelled=row.cancelled_at is not None,
            lines=tuple(LineState(line.sku, line.quantity) for line in placed.lines),
            shipments=tuple(self._shipment_state(shipment, destination) for shipment in labels),
        )

    def _shipment_state(self, shipment: ShipmentRow, destination: ZoneInfo) -> ShipmentState:
        label = shipment.label
        key = (label.carrier.lower(), label.tracking_number)
        return ShipmentState(
            shipment_id=label.shipment_id,
            carrier=label.carrier.lower(),
            tracking_number=label.tracking_number,
            label_service_code=label.label_service_code,
            label_created_at=label.label_created_at,
            label_service_level=label.label_service_level,
            label_options=frozenset(label.label_options),
            voided=shipment.voided_at is not None,
            is_reship=label.is_reship,
            lines=tuple(LineState(line.sku, line.quantity) for line in label.lines),
            scans=tuple(self.scans.get(key, ())),
            estimates=tuple(_estimate_state(row, destination) for row in self.estimates.get(key, ())),
        )


def _scan_state(event: Envelope[Any], now: dt.datetime) -> ScanState:
    scan = event.payload
    return ScanState(
        event_id=str(event.event_id),
        event_time=scan.event_time,
        status=scan.status,
        exception_reason=scan.exception_reason,
        raw_status_code=scan.raw_status_code,
        description=(scan.description or "")[:500] or None,
        service_level=scan.service_level,
        received_at=now,
    )


def _estimate_state(row: EstimateRow, destination: ZoneInfo) -> EstimateState:
    """A dated estimate means "by the end of that day at the destination" (as evaluation.service reads it)."""
    return EstimateState(
        estimated_delivery=row.estimate.latest(destination),
        source=row.source,
        received_at=row.received_at,
        event_time=row.event_time,
    )
