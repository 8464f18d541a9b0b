"""Data access for webhook intake; never commits (the caller owns the transaction).

A webhook is stored by one statement (`store_delivery`): the raw delivery, its scans not seen
before and their outbox rows, as data-modifying CTEs — one round trip to the database however
many scans it carries. A duplicate delivery inserts nothing. One statement is atomic on its own,
so the webhook route runs it outside any explicit transaction, on a plain asyncpg connection
(`db.statement_pool`): it is its own transaction, committed before the statement returns, with
no BEGIN or COMMIT round trip around it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from services.carrier_adapter.webhooks.models import Delivery, OutboxMessage, TrackingEventRow
from services.common.contracts.envelope import new_envelope
from services.common.contracts.topics import message_key, topic_for_event
from services.common.contracts.tracking import TrackingUpdated, TrackingUpdatedEvent
from services.common.outbox import outbox_row

EVENT_NAMESPACE = uuid.UUID("6f1c2a55-8d4e-4c1b-9a51-0d2f3b8e7c10")
PRODUCER = "carrier_adapter"


def event_id_for(dedupe_key: str, revision: int = 1) -> uuid.UUID:
    """Deterministic: the same scan always gets the same id (a corrected one a new revision)."""
    return uuid.uuid5(EVENT_NAMESPACE, dedupe_key if revision == 1 else f"{dedupe_key}#r{revision}")


# Statements built once: a parameter list (not .values(...)) keeps them in SQLAlchemy's cache.
INSERT_EVENTS = (
    insert(TrackingEventRow)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(TrackingEventRow.dedupe_key)
)
INSERT_OUTBOX = insert(OutboxMessage)


# The outbox rows are made for every scan up front (their ids are deterministic) and inserted for
# the scans the statement really inserted; nothing is inserted after a duplicate delivery.
STORE_DELIVERY = text("""
WITH delivery AS (
    INSERT INTO carrier_adapter.deliveries
        (source, dedupe_key, received_at, content_type, headers, query, body, event_count)
    VALUES (:source, :dedupe_key, :received_at, :content_type,
            CAST(CAST(:headers AS text) AS jsonb), CAST(CAST(:query AS text) AS jsonb), :body, :event_count)
    ON CONFLICT ON CONSTRAINT uq_deliveries_source_dedupe_key DO NOTHING
    RETURNING id
), scans AS (
    INSERT INTO carrier_adapter.tracking_events
        (event_id, dedupe_key, delivery_id, source, carrier, tracking_number, event_time, status, payload,
         revision, created_at)
    SELECT scan.event_id, scan.dedupe_key, delivery.id, :source, scan.carrier, scan.tracking_number,
           scan.event_time, scan.status, CAST(scan.payload AS jsonb), 1, :received_at
    FROM delivery, unnest(CAST(:event_ids AS uuid[]), CAST(:keys AS text[]), CAST(:carriers AS text[]),
                          CAST(:tracking_numbers AS text[]), CAST(:event_times AS timestamptz[]),
                          CAST(:statuses AS text[]), CAST(:payloads AS text[]))
         AS scan (event_id, dedupe_key, carrier, tracking_number, event_time, status, payload)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING event_id
), queued AS (
    INSERT INTO carrier_adapter.outbox (event_id, topic, message_key, event_type, body, created_at)
    SELECT message.event_id, message.topic, message.message_key, message.event_type,
           CAST(message.body AS jsonb), :received_at
    FROM scans JOIN unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:message_keys AS text[]),
                           CAST(:event_types AS text[]), CAST(:bodies AS text[]))
         AS message (event_id, topic, message_key, event_type, body) USING (event_id)
)
SELECT (SELECT id FROM delivery) AS delivery_id, (SELECT count(*) FROM scans) AS new_events
""").compile(dialect=asyncpg_dialect())
# asyncpg numbers its parameters ($1, $2, …): the names above in the order they were numbered.
STORE_DELIVERY_PARAMETERS = tuple(STORE_DELIVERY.positiontup or ())


async def store_delivery(
    connection: asyncpg.Connection, delivery: dict[str, Any], keyed_events: Sequence[tuple[str, TrackingUpdated]]
) -> tuple[int | None, int]:
    """Store a raw delivery (received at `delivery["received_at"]`), its new scans and their outbox
    rows in one statement; returns the delivery's id (None for a duplicate) and how many scans were new."""
    now = delivery["received_at"]
    scans = dict(keyed_events)  # the same scan twice in one delivery is one scan
    ids = [event_id_for(key) for key in scans]
    envelopes = [tracking_envelope(event, event_id, now) for event_id, event in zip(ids, scans.values(), strict=True)]
    columns = {
        **delivery,
        "headers": json.dumps(delivery["headers"]),
        "query": json.dumps(delivery["query"]),
        "event_ids": ids,
        "keys": list(scans),
        "carriers": [event.carrier for event in scans.values()],
        "tracking_numbers": [event.tracking_number for event in scans.values()],
        "event_times": [event.event_time for event in scans.values()],
        "statuses": [event.status.value for event in scans.values()],
        "payloads": [event.model_dump_json() for event in scans.values()],
        # The outbox columns `outbox_row` would give, each body serialized once, by pydantic-core.
        "topics": [topic_for_event(envelope.event_type).name for envelope in envelopes],
        "message_keys": [message_key(envelope) for envelope in envelopes],
        "event_types": [envelope.event_type for envelope in envelopes],
        "bodies": [envelope.model_dump_json() for envelope in envelopes],
    }
    row = await connection.fetchrow(STORE_DELIVERY.string, *(columns[name] for name in STORE_DELIVERY_PARAMETERS))
    return row["delivery_id"], row["new_events"]


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
