"""Load order snapshots for the rules in four bulk queries; claim due orders for the scheduler."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Result, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.bulk import update_by_key
from services.common.contracts.tracking import EstimatedDelivery
from services.common.db import any_of, pairs_in
from services.common.vocab import (
    CustomerTier,
    EstimateSource,
    ExceptionReason,
    ServiceLevel,
    ServiceOption,
    TrackingStatus,
)
from services.order_watch.orders.models import CarrierEstimate, Order, Shipment, TrackingEvent
from services.order_watch.reconcile.state import EstimateState, LineState, OrderState, ScanState, ShipmentState


async def load_states(
    session: AsyncSession,
    order_ids: Iterable[str],
    origin_tz: str,
    memo: TrackingMemo | None = None,
    *,
    lock: bool = False,
) -> dict[str, OrderState]:
    """Snapshots of the given orders (those not yet placed are skipped).

    Plain rows of the columns the rules read, not ORM objects: a scan's payload as received
    is never decoded here, and nothing is tracked for a flush. `memo`: see `order_state`.

    `lock`: the order rows are locked first, in key order (so two evaluations never deadlock on
    each other), and the rest is read after that — whoever evaluated the order before has
    committed, and every statement here sees what they wrote (READ COMMITTED).
    """
    wanted = list(set(order_ids))
    if not wanted:
        return {}
    orders = select(*_ORDER_COLUMNS).where(any_of(Order.order_id, wanted))
    if lock:
        orders = orders.order_by(Order.order_id).with_for_update()
    rows = _plain(await session.execute(orders))
    shipment_table = Shipment.__table__
    shipments = _plain(
        await session.execute(
            select(shipment_table)
            .where(any_of(shipment_table.c.order_id, wanted))
            .order_by(shipment_table.c.label_created_at)
        )
    )
    keys = list({(s.carrier, s.tracking_number) for s in shipments})
    scans = await _by_tracking(session, _SCAN_COLUMNS, keys)
    estimates = await _by_tracking(session, tuple(CarrierEstimate.__table__.c), keys)
    by_order: dict[str, list[Any]] = defaultdict(list)
    for shipment in shipments:
        by_order[shipment.order_id].append(shipment)
    return {row.order_id: order_state(row, by_order[row.order_id], scans, estimates, origin_tz, memo) for row in rows}


_ORDER_COLUMNS = tuple(
    Order.__table__.c[name]
    for name in (
        "order_id",
        "customer_id",
        "customer_tier",
        "order_value",
        "currency",
        "placed_at",
        "destination_tz",
        "destination",  # its country and region choose the holiday calendar
        "paid_service_level",
        "promised_by",
        "residential",
        "cancelled_at",
        "lines",
        "updated_at",  # when its latest news reached us
    )
)
_SCAN_COLUMNS = tuple(column for column in TrackingEvent.__table__.c if column.name not in ("payload", "location"))


async def _by_tracking(
    session: AsyncSession, columns: tuple[Any, ...], keys: list[tuple[str, str]]
) -> dict[tuple[str, str], list[Any]]:
    """Rows of a table keyed by (carrier, tracking number), grouped by that key, in event-time order."""
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    if not keys:
        return grouped
    table = columns[0].table
    rows = await session.execute(
        select(*columns)
        .where(pairs_in(table.c.carrier, table.c.tracking_number, keys))
        .order_by(table.c.event_time, table.c.received_at)
    )
    for row in _plain(rows):
        grouped[(row.carrier, row.tracking_number)].append(row)
    return grouped


def _plain(result: Result[Any]) -> list[Any]:
    """A result's rows as named tuples of its columns: `order_state` reads every column of a
    snapshot's rows by name, which costs ten times as much on SQLAlchemy's own rows."""
    row_type = _row_type(tuple(result.keys()))
    return [tuple.__new__(row_type, row) for row in result]


@cache
def _row_type(columns: tuple[str, ...]) -> type[tuple[Any, ...]]:
    return namedtuple("Row", columns)  # type: ignore[misc]  # one per query shape


def order_state(
    order: Order,
    shipments: list[Shipment],
    scans: dict[tuple[str, str], list[TrackingEvent]],
    estimates: dict[tuple[str, str], list[CarrierEstimate]],
    origin_tz: str,
    memo: TrackingMemo | None = None,
) -> OrderState:
    """The snapshot the rules read, from the order's rows (ORM objects, or anything with their attributes).

    `scans` and `estimates` are by (carrier, tracking number), each in event-time order. Tracking
    rows never change once stored, so a caller that rebuilds the same orders many times (the
    worker, the backtest) may pass a `TrackingMemo`: each scan and estimate row is then mapped only once.
    """
    destination = ZoneInfo(order.destination_tz)
    return OrderState(
        order_id=order.order_id,
        customer_id=order.customer_id,
        customer_tier=CustomerTier(order.customer_tier),
        order_value=order.order_value,
        currency=order.currency,
        placed_at=order.placed_at,
        origin_tz=origin_tz,
        destination_tz=order.destination_tz,
        destination_country=(order.destination or {}).get("country"),
        destination_region=(order.destination or {}).get("region"),
        paid_service_level=ServiceLevel(order.paid_service_level),
        promised_by=order.promised_by,
        residential=order.residential,
        cancelled=order.cancelled_at is not None,
        lines=[LineState(line["sku"], line["quantity"]) for line in order.lines],
        received_at=order.updated_at,
        shipments=[
            _shipment_state(
                s,
                _states(scans[(s.carrier, s.tracking_number)], SCAN, memo),
                _states(estimates[(s.carrier, s.tracking_number)], ESTIMATE, memo, destination),
            )
            for s in shipments
        ],
    )


def _shipment_state(shipment: Shipment, scans: list[ScanState], estimates: list[EstimateState]) -> ShipmentState:
    return ShipmentState(
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        label_service_code=shipment.label_service_code,
        label_created_at=shipment.label_created_at,
        label_service_level=ServiceLevel(shipment.label_service_level) if shipment.label_service_level else None,
        label_options=frozenset(ServiceOption(option) for option in shipment.label_options),
        voided=shipment.voided_at is not None,
        is_reship=shipment.is_reship,
        label_received_at=shipment.received_at,
        lines=[LineState(line["sku"], line["quantity"]) for line in shipment.lines],
        scans=scans,
        estimates=estimates,
    )


class TrackingMemo:
    """Scan and estimate states kept between snapshots, by kind and event id: a tracking row never
    changes once stored, so its kind (`SCAN`, `ESTIMATE`) and event id — and the zone an estimate
    is read in — name its state. One table per kind (and zone), keyed by the event id alone: the
    lookup of every row of every snapshot is one dictionary probe."""

    def __init__(self) -> None:
        self._tables: dict[tuple[Any, ...], dict[Any, Any]] = {}

    def table(self, kind: str, *args: Any) -> dict[Any, Any]:
        found = self._tables.get((kind, *args))
        if found is None:
            found = self._tables[(kind, *args)] = {}
        return found

    def forget(self, kind: str, event_id: Any, *args: Any) -> None:
        table = self._tables.get((kind, *args))
        if table is not None:
            table.pop(event_id, None)

    def trim(self, keep: int) -> None:
        """Past `keep` states, drop the older half of each table (a dict keeps insertion order):
        the parcels still travelling are mostly the recent ones, so most of what is asked for next stays."""
        if len(self) <= keep:
            return
        for table in self._tables.values():
            for event_id in list(islice(table, len(table) // 2)):
                del table[event_id]

    def clear(self) -> None:
        self._tables.clear()

    def __len__(self) -> int:
        return sum(map(len, self._tables.values()))


def _states(rows: list[Any], kind: str, memo: TrackingMemo | None, *args: Any) -> list[Any]:
    """The state of each row of a kind; with a memo, each mapped once."""
    to_state = _TO_STATE[kind]
    if memo is None:
        return [to_state(row, *args) for row in rows]
    known = memo.table(kind, *args)
    states = []
    for row in rows:  # one probe per row: an event id hashes in Python code when it is a `uuid.UUID`
        state = known.get(row.event_id)
        if state is None:
            state = known[row.event_id] = to_state(row, *args)
        states.append(state)
    return states


def _scan_state(scan: TrackingEvent) -> ScanState:
    return ScanState(
        event_id=str(scan.event_id),
        event_time=scan.event_time,
        status=TrackingStatus(scan.status),
        exception_reason=ExceptionReason(scan.exception_reason) if scan.exception_reason else None,
        raw_status_code=scan.raw_status_code,
        description=scan.description,
        service_level=ServiceLevel(scan.service_level) if scan.service_level else None,
        received_at=scan.received_at,
    )


def _estimate_state(estimate: CarrierEstimate, destination: ZoneInfo) -> EstimateState:
    """A dated estimate means "by the end of that day at the destination"."""
    return EstimateState(
        estimated_delivery=EstimatedDelivery.model_validate(estimate.estimate).latest(destination),
        source=EstimateSource(estimate.source),
        received_at=estimate.received_at,
        event_time=estimate.event_time,
    )


SCAN = "scan"
ESTIMATE = "estimate"
_TO_STATE: dict[str, Callable[..., Any]] = {SCAN: _scan_state, ESTIMATE: _estimate_state}


async def claim_due_orders(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Lock orders whose next check is due; replicas skip each other's locked rows."""
    rows = await session.scalars(
        select(Order.order_id)
        .where(Order.next_check_at <= now)
        .order_by(Order.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def set_next_checks(session: AsyncSession, next_checks: dict[str, datetime | None]) -> None:
    """One UPDATE by primary key for the whole batch."""
    values = {order_id: {"next_check_at": at} for order_id, at in next_checks.items()}
    await update_by_key(session, Order.__table__.c.order_id, values)
