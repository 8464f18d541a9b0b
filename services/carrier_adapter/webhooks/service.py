"""Data access for webhook intake; never commits (the caller owns the transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.carrier_adapter.webhooks.models import Delivery, OutboxMessage, TrackingEventRow
from services.common.contracts.envelope import new_envelope
from services.common.contracts.tracking import TrackingUpdated, TrackingUpdatedEvent
from services.common.outbox import outbox_row

EVENT_NAMESPACE = uuid.UUID("6f1c2a55-8d4e-4c1b-9a51-0d2f3b8e7c10")
PRODUCER = "carrier_adapter"


def event_id_for(dedupe_key: str, revision: int = 1) -> uuid.UUID:
    """Deterministic: the same scan always gets the same id (a corrected one a new revision)."""
    return uuid.uuid5(EVENT_NAMESPACE, dedupe_key if revision == 1 else f"{dedupe_key}#r{revision}")


# Statements built once: a parameter list (not .values(...)) keeps them in SQLAlchemy's cache.
INSERT_DELIVERY = (
    insert(Delivery).on_conflict_do_nothing(constraint="uq_deliveries_source_dedupe_key").returning(Delivery.id)
)
INSERT_EVENTS = (
    insert(TrackingEventRow)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(TrackingEventRow.dedupe_key)
)
INSERT_OUTBOX = insert(OutboxMessage)


async def insert_delivery(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Store a raw delivery; None when (source, dedupe_key) was already stored (a duplicate)."""
    return (await session.execute(INSERT_DELIVERY, [values])).scalar_one_or_none()


def tracking_envelope(event: TrackingUpdated, event_id: uuid.UUID, now: datetime) -> TrackingUpdatedEvent:
    return new_envelope(
        TrackingUpdatedEvent, event, occurred_at=event.event_time, produced_at=now, producer=PRODUCER, event_id=event_id
    )


async def insert_new_events(
    session: AsyncSession, delivery_id: int, keyed_events: Sequence[tuple[str, TrackingUpdated]], now: datetime
) -> int:
    """Insert scans not seen before and queue each for `tracking.v1`; returns how many were new."""
    if not keyed_events:
        return 0
    rows = {
        key: {
            "event_id": event_id_for(key),
            "dedupe_key": key,
            "delivery_id": delivery_id,
            "source": event.source,
            "carrier": event.carrier,
            "tracking_number": event.tracking_number,
            "event_time": event.event_time,
            "status": event.status.value,
            "payload": event.model_dump(mode="json"),
            "created_at": now,
        }
        for key, event in keyed_events
    }
    inserted = (await session.execute(INSERT_EVENTS, list(rows.values()))).scalars().all()
    events = dict(keyed_events)
    outbox = [outbox_row(tracking_envelope(events[key], rows[key]["event_id"], now), now) for key in inserted]
    if outbox:
        await session.execute(INSERT_OUTBOX, outbox)
    return len(inserted)


async def stored_events(session: AsyncSession, keys: Sequence[str]) -> dict[str, TrackingEventRow]:
    rows = await session.scalars(select(TrackingEventRow).where(TrackingEventRow.dedupe_key.in_(keys)))
    return {row.dedupe_key: row for row in rows}


async def revise_event(session: AsyncSession, row: TrackingEventRow, event: TrackingUpdated, now: datetime) -> None:
    """A re-normalized scan whose content changed: store it and publish it as a new revision."""
    revision = row.revision + 1
    await session.execute(
        update(TrackingEventRow)
        .where(TrackingEventRow.event_id == row.event_id)
        .values(payload=event.model_dump(mode="json"), status=event.status.value, revision=revision)
    )
    envelope = tracking_envelope(event, event_id_for(row.dedupe_key, revision), now)
    await session.execute(INSERT_OUTBOX, [outbox_row(envelope, now)])


async def deliveries_batch(session: AsyncSession, after_id: int, limit: int, source: str | None) -> list[Delivery]:
    query = select(Delivery).where(Delivery.id > after_id).order_by(Delivery.id).limit(limit)
    if source:
        query = query.where(Delivery.source == source)
    return list((await session.scalars(query)).all())
