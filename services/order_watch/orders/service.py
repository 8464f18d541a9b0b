"""Data access for order state, in bulk statements; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.orders.models import (
    CarrierEstimate,
    Order,
    ProcessedEvent,
    PromiseVersion,
    Shipment,
    TrackingEvent,
)


async def claim_new_events(
    session: AsyncSession, events: Iterable[tuple[uuid.UUID, str]], now: datetime
) -> set[uuid.UUID]:
    """Record event ids; returns those never processed before (the rest are replays)."""
    rows = {event_id: {"event_id": event_id, "event_type": kind, "processed_at": now} for event_id, kind in events}
    if not rows:
        return set()
    statement = (
        insert(ProcessedEvent).values(list(rows.values())).on_conflict_do_nothing().returning(ProcessedEvent.event_id)
    )
    return set((await session.execute(statement)).scalars())


async def insert_ignore(session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert, skipping rows whose key already exists (idempotent re-delivery)."""
    if rows:
        await session.execute(insert(model).values(list(rows)).on_conflict_do_nothing())


async def promise_versions(session: AsyncSession, order_ids: Iterable[str]) -> dict[str, list[PromiseVersion]]:
    rows = await session.scalars(
        select(PromiseVersion)
        .where(PromiseVersion.order_id.in_(list(order_ids)))
        .order_by(PromiseVersion.order_id, PromiseVersion.occurred_at, PromiseVersion.id)
    )
    grouped: dict[str, list[PromiseVersion]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


async def update_order(session: AsyncSession, order_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(Order).where(Order.order_id == order_id).values(**values))


async def cancel_orders(session: AsyncSession, cancelled: dict[str, datetime], now: datetime) -> None:
    """Keep each order's earliest cancellation, whatever order the events arrive in."""
    for order_id, at in cancelled.items():
        await session.execute(
            update(Order)
            .where(Order.order_id == order_id)
            .values(cancelled_at=func.least(func.coalesce(Order.cancelled_at, at), at), updated_at=now)
        )


async def void_shipments(session: AsyncSession, voided: dict[str, datetime]) -> None:
    """Keep each shipment's earliest void, whatever order the events arrive in."""
    for shipment_id, at in voided.items():
        await session.execute(
            update(Shipment)
            .where(Shipment.shipment_id == shipment_id)
            .values(voided_at=func.least(func.coalesce(Shipment.voided_at, at), at))
        )


async def orders_of_tracking(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> set[str]:
    """Orders whose shipments carry any of these (carrier, tracking number) pairs."""
    pairs = list(set(keys))
    if not pairs:
        return set()
    rows = await session.scalars(
        select(Shipment.order_id).where(tuple_(Shipment.carrier, Shipment.tracking_number).in_(pairs))
    )
    return set(rows)


async def get_order(session: AsyncSession, order_id: str) -> Order | None:
    return await session.get(Order, order_id)


async def shipments_of(session: AsyncSession, order_ids: Iterable[str]) -> list[Shipment]:
    rows = await session.scalars(
        select(Shipment).where(Shipment.order_id.in_(list(order_ids))).order_by(Shipment.label_created_at)
    )
    return list(rows)


async def tracking_of(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> list[TrackingEvent]:
    pairs = list(set(keys))
    if not pairs:
        return []
    rows = await session.scalars(
        select(TrackingEvent)
        .where(tuple_(TrackingEvent.carrier, TrackingEvent.tracking_number).in_(pairs))
        .order_by(TrackingEvent.event_time, TrackingEvent.received_at)
    )
    return list(rows)


async def estimates_of(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> list[CarrierEstimate]:
    pairs = list(set(keys))
    if not pairs:
        return []
    rows = await session.scalars(
        select(CarrierEstimate)
        .where(tuple_(CarrierEstimate.carrier, CarrierEstimate.tracking_number).in_(pairs))
        .order_by(CarrierEstimate.event_time, CarrierEstimate.received_at)
    )
    return list(rows)
