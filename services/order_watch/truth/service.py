"""Load what the truth of orders is built from; find orders by tracking number or customer. Never commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.alerts.models import Alert
from services.order_watch.audit.models import AuditEntry
from services.order_watch.audit.service import trail_of_order
from services.order_watch.evaluation.service import order_state
from services.order_watch.orders import service as orders
from services.order_watch.orders.models import (
    CarrierEstimate,
    Order,
    ProcessedEvent,
    PromiseVersion,
    Shipment,
    TrackingEvent,
)
from services.order_watch.reconcile.state import OrderState
from services.order_watch.tasks.models import Task


@dataclass(frozen=True)
class OrderRecords:
    """Everything stored about one order, as rows."""

    order: Order
    versions: list[tuple[PromiseVersion, datetime | None]]
    shipments: list[Shipment]
    scans: list[TrackingEvent]
    estimates: list[CarrierEstimate]
    alerts: list[Alert]
    tasks: list[Task]
    audit: list[AuditEntry]

    def state(self, origin_tz: str) -> OrderState:
        """The snapshot the reconcile rules read (the same mapping the worker uses)."""
        scans: dict[tuple[str, str], list[TrackingEvent]] = defaultdict(list)
        for scan in self.scans:
            scans[(scan.carrier, scan.tracking_number)].append(scan)
        estimates: dict[tuple[str, str], list[CarrierEstimate]] = defaultdict(list)
        for estimate in self.estimates:
            estimates[(estimate.carrier, estimate.tracking_number)].append(estimate)
        return order_state(self.order, self.shipments, scans, estimates, origin_tz)


async def load_records(session: AsyncSession, order_id: str) -> OrderRecords | None:
    order = await orders.get_order(session, order_id)
    if order is None:
        return None
    shipments = await orders.shipments_of(session, [order_id])
    keys = [(shipment.carrier, shipment.tracking_number) for shipment in shipments]
    return OrderRecords(
        order=order,
        versions=await _versions_received(session, order_id),
        shipments=shipments,
        scans=await orders.tracking_of(session, keys),
        estimates=await orders.estimates_of(session, keys),
        alerts=list(await session.scalars(select(Alert).where(Alert.order_id == order_id).order_by(Alert.opened_at))),
        tasks=list(await session.scalars(select(Task).where(Task.order_id == order_id).order_by(Task.created_at))),
        audit=await trail_of_order(session, order_id),
    )


async def _versions_received(session: AsyncSession, order_id: str) -> list[tuple[PromiseVersion, datetime | None]]:
    """Each promise version with the time its event was received (processed)."""
    rows = await session.execute(
        select(PromiseVersion, ProcessedEvent.processed_at)
        .outerjoin(ProcessedEvent, ProcessedEvent.event_id == PromiseVersion.event_id)
        .where(PromiseVersion.order_id == order_id)
        .order_by(PromiseVersion.occurred_at, PromiseVersion.id)
    )
    return [(version, received) for version, received in rows]


async def find_orders(
    session: AsyncSession, *, tracking_number: str | None, customer_id: str | None, limit: int
) -> list[str]:
    """Order ids by tracking number (any carrier) or by customer, newest first.

    Forgiving as people type (PRODUCT.md: sales reps read numbers off a phone call or an email):
    a tracking number matches whatever its case, spaces and dashes; a customer id its case.
    """
    query = select(Order.order_id).order_by(Order.placed_at.desc()).limit(limit)
    if tracking_number is not None:
        typed = typed_tracking_number(tracking_number)
        stored = func.upper(func.translate(Shipment.tracking_number, " -", ""))
        query = query.where(Order.order_id.in_(select(Shipment.order_id).where(stored == typed)))
    if customer_id is not None:
        query = query.where(func.lower(Order.customer_id) == customer_id.strip().lower())
    return list(await session.scalars(query))


def typed_tracking_number(text: str) -> str:
    """A tracking number as compared: upper case, without spaces or dashes."""
    return "".join(character for character in text.upper() if character not in " -\t")
