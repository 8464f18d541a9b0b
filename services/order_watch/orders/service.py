"""Data access for order state, in bulk statements; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.bulk import insert_ignoring, update_by_key
from services.common.db import any_of, pairs_in
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
    table = ProcessedEvent.__table__
    return set(await insert_ignoring(session, table, list(rows.values()), returning=table.c.event_id))


async def insert_ignore(session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert (one statement for every row), skipping rows whose key already exists (re-delivery)."""
    await insert_ignoring(session, model.__table__, rows)


async def promise_versions(session: AsyncSession, order_ids: Iterable[str]) -> dict[str, list[Any]]:
    """Each order's `promise_versions` rows (plain rows with the model's attributes), oldest first."""
    table = PromiseVersion.__table__
    rows = await session.execute(
        select(table)
        .where(any_of(table.c.order_id, order_ids))
        .order_by(table.c.order_id, table.c.occurred_at, table.c.id)
    )
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


async def update_orders(session: AsyncSession, values: dict[str, dict[str, Any]]) -> None:
    """Set columns of many orders by key: one statement per set of columns named."""
    await update_by_key(session, Order.__table__.c.order_id, values)


async def cancel_orders(session: AsyncSession, cancelled: dict[str, datetime], now: datetime) -> None:
    """Keep each order's earliest cancellation, whatever order the events arrive in."""
    values = {order_id: {"cancelled_at": at, "updated_at": now} for order_id, at in cancelled.items()}
    await update_by_key(session, Order.__table__.c.order_id, values, earliest=("cancelled_at",))


async def void_shipments(session: AsyncSession, voided: dict[str, datetime]) -> None:
    """Keep each shipment's earliest void, whatever order the events arrive in."""
    values = {shipment_id: {"voided_at": at} for shipment_id, at in voided.items()}
    await update_by_key(session, Shipment.__table__.c.shipment_id, values, earliest=("voided_at",))


async def orders_of_tracking(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> set[str]:
    """Orders whose shipments carry any of these (carrier, tracking number) pairs."""
    pairs = list(set(keys))
    if not pairs:
        return set()
    table = Shipment.__table__
    rows = await session.scalars(
        select(table.c.order_id).where(pairs_in(table.c.carrier, table.c.tracking_number, pairs))
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
