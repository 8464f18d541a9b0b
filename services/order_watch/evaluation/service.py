"""Load order snapshots for the rules in four bulk queries; claim due orders for the scheduler."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.contracts.tracking import EstimatedDelivery
from services.common.vocab import (
    CustomerTier,
    EstimateSource,
    ExceptionReason,
    ServiceLevel,
    ServiceOption,
    TrackingStatus,
)
from services.order_watch.orders import service as orders
from services.order_watch.orders.models import CarrierEstimate, Order, Shipment, TrackingEvent
from services.order_watch.reconcile.state import EstimateState, LineState, OrderState, ScanState, ShipmentState


async def load_states(session: AsyncSession, order_ids: Iterable[str], origin_tz: str) -> dict[str, OrderState]:
    """Snapshots of the given orders (those not yet placed are skipped)."""
    wanted = list(set(order_ids))
    if not wanted:
        return {}
    rows = list(await session.scalars(select(Order).where(Order.order_id.in_(wanted))))
    shipments = await orders.shipments_of(session, wanted)
    keys = [(s.carrier, s.tracking_number) for s in shipments]
    scans: dict[tuple[str, str], list[TrackingEvent]] = defaultdict(list)
    for scan in await orders.tracking_of(session, keys):
        scans[(scan.carrier, scan.tracking_number)].append(scan)
    estimates: dict[tuple[str, str], list[CarrierEstimate]] = defaultdict(list)
    for estimate in await orders.estimates_of(session, keys):
        estimates[(estimate.carrier, estimate.tracking_number)].append(estimate)
    by_order: dict[str, list[Shipment]] = defaultdict(list)
    for shipment in shipments:
        by_order[shipment.order_id].append(shipment)
    return {order.order_id: order_state(order, by_order[order.order_id], scans, estimates, origin_tz) for order in rows}


def order_state(
    order: Order,
    shipments: list[Shipment],
    scans: dict[tuple[str, str], list[TrackingEvent]],
    estimates: dict[tuple[str, str], list[CarrierEstimate]],
    origin_tz: str,
    memo: dict[Any, Any] | None = None,
) -> OrderState:
    """The snapshot the rules read, from the order's rows (ORM objects, or anything with their attributes).

    `scans` and `estimates` are by (carrier, tracking number), each in event-time order. Tracking
    rows never change once stored, so a caller that rebuilds the same order many times (the
    backtest) may pass a `memo` dictionary: each scan and estimate row is then mapped only once.
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
        shipments=[
            _shipment_state(
                s,
                _states(scans[(s.carrier, s.tracking_number)], _scan_state, memo),
                _states(estimates[(s.carrier, s.tracking_number)], _estimate_state, memo, destination),
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
        lines=[LineState(line["sku"], line["quantity"]) for line in shipment.lines],
        scans=scans,
        estimates=estimates,
    )


def _states(rows: list[Any], to_state: Callable[..., Any], memo: dict[Any, Any] | None, *args: Any) -> list[Any]:
    """`to_state(row, *args)` of each row; with a memo, once per (row, *args)."""
    if memo is None:
        return [to_state(row, *args) for row in rows]
    states = []
    for row in rows:
        key = (row, *args)
        state = memo.get(key)
        if state is None:
            state = memo[key] = to_state(row, *args)
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
    """One bulk UPDATE by primary key for the whole batch."""
    if next_checks:
        rows = [{"order_id": order_id, "next_check_at": at} for order_id, at in next_checks.items()]
        await session.execute(update(Order), rows)
