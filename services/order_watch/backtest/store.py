"""In-memory order tables: what `orders.flows.apply_events` writes, without a database.

`apply_batch` runs the worker's own pure steps — `flows.fresh_by_type`, the row mappers,
`flows.promise_in_force`, `flows.cancellations`, `flows.voids`, `flows.tracking_keys` — and stands
in only for `orders.service`'s statements, with their semantics: insert-ignore by primary key, the
earliest cancellation or void kept, rows read back in the order the loading queries sort them.
`snapshot` is `evaluation.service.order_state` over those rows, so the rules cannot tell a backtest
from production. `retire` forgets an order the replay is done with (its rows, its scans once no
other order shares the tracking number, its processed event ids), so a long history's store holds
only the orders still in flight.
"""

from __future__ import annotations

import datetime as dt
import uuid
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from services.common.contracts import Envelope
from services.order_watch.evaluation.service import ESTIMATE, SCAN, TrackingMemo, order_state
from services.order_watch.orders import flows
from services.order_watch.reconcile.state import OrderState

TrackingKey = tuple[str, str]
# ORDER BY of `orders.service.shipments_of`, and of `tracking_of` / `estimates_of`.
_SHIPMENT_ORDER = attrgetter("label_created_at")
_SCAN_ORDER = attrgetter("event_time", "received_at")


class Row:
    """A row as an `orders.flows` mapper returns it, read by attribute like the ORM object the worker loads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


@dataclass
class Store:
    """The worker's tables as dictionaries by primary key, with the indexes its queries use."""

    origin_tz: str
    processed: set[uuid.UUID] = field(default_factory=set)
    orders: dict[str, Row] = field(default_factory=dict)
    promise_versions: dict[uuid.UUID, Row] = field(default_factory=dict)
    shipments: dict[str, Row] = field(default_factory=dict)
    tracking_events: dict[uuid.UUID, Row] = field(default_factory=dict)
    carrier_estimates: dict[uuid.UUID, Row] = field(default_factory=dict)
    versions_by_order: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    shipments_by_order: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    orders_by_tracking: dict[TrackingKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    scans: dict[TrackingKey, list[Row]] = field(default_factory=lambda: defaultdict(list))
    estimates: dict[TrackingKey, list[Row]] = field(default_factory=lambda: defaultdict(list))
    _snapshots: dict[str, OrderState] = field(default_factory=dict)
    _memo: TrackingMemo = field(default_factory=TrackingMemo)  # order_state's: tracking rows mapped once
    # The order and shipment event ids claimed per order: what `retire` forgets of `processed`
    # (a scan's id is on its row).
    _event_ids: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))

    def apply_batch(self, events: Sequence[Envelope[Any]], now: dt.datetime) -> set[str]:
        """Apply one consumed batch like `apply_events`; returns the orders it touched (replays touch nothing)."""
        by_type = flows.fresh_by_type(events, self._claim(events))
        for event_type, fresh in by_type.items():
            if event_type != "tracking.updated":
                for event in fresh:
                    self._event_ids[event.payload.order_id].append(event.event_id)
        touched = self._apply_orders(by_type, now)
        touched |= self._apply_shipments(by_type, now)
        touched |= self._apply_tracking(by_type.get("tracking.updated", []), now)
        return touched

    def snapshot(self, order_id: str) -> OrderState | None:
        """The order as the rules see it, or None when it was never placed (cached until a row of it changes)."""
        state = self._snapshots.get(order_id)
        if state is None:
            order = self.orders.get(order_id)
            if order is None:
                return None
            shipments = self.shipments_by_order.get(order_id, [])
            state = order_state(order, shipments, self.scans, self.estimates, self.origin_tz, self._memo)
            self._snapshots[order_id] = state
        return state

    def drop_snapshot(self, order_id: str) -> None:
        """Forget the cached snapshot of an order (the next `snapshot` builds it again from its rows)."""
        self._snapshots.pop(order_id, None)

    def retire(self, order_id: str) -> None:
        """Forget an order no later event will touch: its rows, snapshot and processed ids, and the
        scans and estimates of each tracking number once no remaining order is shipped on it."""
        order = self.orders.pop(order_id, None)
        self._snapshots.pop(order_id, None)
        self.processed.difference_update(self._event_ids.pop(order_id, ()))
        for version in self.versions_by_order.pop(order_id, ()):
            self.promise_versions.pop(version.event_id, None)
        zone = ZoneInfo(order.destination_tz) if order is not None else None
        for shipment in self.shipments_by_order.pop(order_id, ()):
            self.shipments.pop(shipment.shipment_id, None)
            key = (shipment.carrier, shipment.tracking_number)
            for estimate in self.estimates.get(key, ()):
                self._memo.forget(ESTIMATE, estimate.event_id, zone)  # mapped at this order's destination
            orders = self.orders_by_tracking.get(key)
            if orders is not None:
                orders.discard(order_id)
                if not orders:
                    self._forget_tracking(key)

    def _forget_tracking(self, key: TrackingKey) -> None:
        del self.orders_by_tracking[key]
        for scan in self.scans.pop(key, ()):
            self.tracking_events.pop(scan.event_id, None)
            self.processed.discard(scan.event_id)
            self._memo.forget(SCAN, scan.event_id)
        for estimate in self.estimates.pop(key, ()):
            self.carrier_estimates.pop(estimate.event_id, None)
            self.processed.discard(estimate.event_id)

    def order(self, order_id: str) -> Row | None:
        """The `orders` row (promise in force, destination_tz, cancelled_at, …)."""
        return self.orders.get(order_id)

    def _claim(self, events: Iterable[Envelope[Any]]) -> set[uuid.UUID]:
        """`service.claim_new_events`: the ids never processed before, recorded now."""
        fresh = {event.event_id for event in events} - self.processed
        self.processed |= fresh
        return fresh

    def _apply_orders(self, by_type: dict[str, list[Envelope[Any]]], now: dt.datetime) -> set[str]:
        placed, updated = by_type.get("order.placed", []), by_type.get("order.updated", [])
        if not (placed or updated or "order.cancelled" in by_type):
            return set()
        _insert_ignore(self.orders, "order_id", [flows.order_row(e, now) for e in placed], cancelled_at=None)
        for version in _insert_ignore(
            self.promise_versions, "event_id", [flows.version_row(e) for e in placed + updated]
        ):
            self.versions_by_order[version.order_id].append(version)
        changed = {e.payload.order_id for e in placed + updated}
        for order_id in changed:
            self._update_order(
                order_id, {**flows.promise_in_force(self.versions_by_order[order_id]), "updated_at": now}
            )
        cancelled = flows.cancellations(by_type)
        for order_id, at in cancelled.items():
            order = self.orders.get(order_id)
            if order is not None:  # service.cancel_orders: the earliest cancellation stands
                self._update_order(order_id, {"cancelled_at": min(at, order.cancelled_at or at), "updated_at": now})
        return changed | set(cancelled)

    def _update_order(self, order_id: str, values: dict[str, Any]) -> None:
        """`service.update_order`: no row, no change."""
        order = self.orders.get(order_id)
        if order is not None:
            vars(order).update(values)
            self._snapshots.pop(order_id, None)

    def _apply_shipments(self, by_type: dict[str, list[Envelope[Any]]], now: dt.datetime) -> set[str]:
        labels = by_type.get("shipment.label_created", [])
        if not (labels or "shipment.voided" in by_type):
            return set()
        for shipment in _insert_ignore(
            self.shipments, "shipment_id", [flows.shipment_row(e, now) for e in labels], voided_at=None
        ):
            insort(self.shipments_by_order[shipment.order_id], shipment, key=_SHIPMENT_ORDER)
            self.orders_by_tracking[(shipment.carrier, shipment.tracking_number)].add(shipment.order_id)
            self._snapshots.pop(shipment.order_id, None)
        for shipment_id, at in flows.voids(by_type).items():
            shipment = self.shipments.get(shipment_id)
            if shipment is not None:  # service.void_shipments: the earliest void stands
                shipment.voided_at = min(at, shipment.voided_at or at)
                self._snapshots.pop(shipment.order_id, None)
        return {e.payload.order_id for e in labels + by_type.get("shipment.voided", [])}

    def _apply_tracking(self, events: list[Envelope[Any]], now: dt.datetime) -> set[str]:
        if not events:
            return set()
        for scan in _insert_ignore(self.tracking_events, "event_id", [flows.scan_row(e, now) for e in events]):
            self._attach(self.scans, scan)
        estimates = [flows.estimate_row(e, now) for e in events if e.payload.estimated_delivery is not None]
        for estimate in _insert_ignore(self.carrier_estimates, "event_id", estimates):
            self._attach(self.estimates, estimate)
        keys = flows.tracking_keys(events)
        return {order_id for key in keys for order_id in self.orders_by_tracking.get(key, ())}

    def _attach(self, rows: dict[TrackingKey, list[Row]], row: Row) -> None:
        """File a scan or estimate under its tracking number; the orders shipped on it have a new snapshot."""
        key = (row.carrier, row.tracking_number)
        filed = rows[key]
        # Scans mostly arrive in event-time order: then the new row goes last, with one comparison.
        if not filed or _SCAN_ORDER(filed[-1]) <= _SCAN_ORDER(row):
            filed.append(row)
        else:
            insort(filed, row, key=_SCAN_ORDER)
        for order_id in self.orders_by_tracking.get(key, ()):
            self._snapshots.pop(order_id, None)


def _insert_ignore(table: dict[Any, Row], key: str, rows: Iterable[dict[str, Any]], **defaults: Any) -> list[Row]:
    """`service.insert_ignore` on a dictionary by primary key: stores the new rows (with the column
    defaults the mapper leaves to the database) and returns them."""
    inserted = []
    for values in rows:
        if values[key] not in table:
            table[values[key]] = row = Row({**defaults, **values} if defaults else values)
            inserted.append(row)
    return inserted
