"""Data access for webhook intake; never commits (the caller owns the transaction).

Webhooks are stored by one statement (`store_deliveries`): the raw deliveries, their scans not
seen before and their outbox rows, as data-modifying CTEs — one round trip to the database however
many scans they carry, and for as many webhooks as arrived together (`group_commit.py`). A
duplicate delivery inserts nothing. One statement is atomic on its own, so it runs outside any
explicit transaction, on a plain asyncpg connection (`db.statement_pool`): it is its own
transaction, committed before the statement returns, with no BEGIN or COMMIT round trip around it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import pydantic_core
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


# A batch of deliveries, each with its scans and their outbox rows, in one statement. Each
# delivery's scans are inserted only if the delivery was (nothing after a duplicate delivery);
# each scan's outbox row only if the scan was. The outbox rows are made for every scan up front
# (their ids are deterministic). Rows go in in key order, so two statements that meet on the
# same keys (a sender's retry while its first try is still being stored) take their row locks in
# the same order. No two deliveries of one batch share a delivery or scan key (`DeliveryRows.keys`),
# so every join below matches one row.
STORE_DELIVERIES = text("""
WITH input AS (
    SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:dedupe_keys AS text[]),
                         CAST(:received_at AS timestamptz[]), CAST(:content_types AS text[]),
                         CAST(:headers AS text[]), CAST(:queries AS text[]), CAST(:bodies AS bytea[]),
                         CAST(:event_counts AS integer[]))
         WITH ORDINALITY AS input (source, dedupe_key, received_at, content_type, headers, query, body,
                                   event_count, ordinal)
), delivery AS (
    INSERT INTO carrier_adapter.deliveries
        (source, dedupe_key, received_at, content_type, headers, query, body, event_count)
    SELECT source, dedupe_key, received_at, content_type, CAST(headers AS jsonb), CAST(query AS jsonb), body,
           event_count
    FROM input ORDER BY source, dedupe_key
    ON CONFLICT ON CONSTRAINT uq_deliveries_source_dedupe_key DO NOTHING
    RETURNING id, source, dedupe_key
), stored AS (
    SELECT input.ordinal, delivery.id, input.source, input.received_at
    FROM input JOIN delivery USING (source, dedupe_key)
), scans AS (
    INSERT INTO carrier_adapter.tracking_events
        (event_id, dedupe_key, delivery_id, source, carrier, tracking_number, event_time, status, payload,
         revision, created_at)
    SELECT scan.event_id, scan.dedupe_key, stored.id, stored.source, scan.carrier, scan.tracking_number,
           scan.event_time, scan.status, CAST(scan.payload AS jsonb), 1, stored.received_at
    FROM stored JOIN unnest(CAST(:scan_deliveries AS bigint[]), CAST(:event_ids AS uuid[]),
                            CAST(:keys AS text[]), CAST(:carriers AS text[]), CAST(:tracking_numbers AS text[]),
                            CAST(:event_times AS timestamptz[]), CAST(:statuses AS text[]),
                            CAST(:payloads AS text[]))
         AS scan (delivery, event_id, dedupe_key, carrier, tracking_number, event_time, status, payload)
         ON scan.delivery = stored.ordinal
    ORDER BY scan.dedupe_key
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING event_id, delivery_id, created_at
), queued AS (
    INSERT INTO carrier_adapter.outbox (event_id, topic, message_key, event_type, body, created_at)
    SELECT message.event_id, message.topic, message.message_key, message.event_type,
           CAST(message.body AS jsonb), scans.created_at
    FROM scans JOIN unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:message_keys AS text[]),
                           CAST(:event_types AS text[]), CAST(:bodies_out AS text[]))
         AS message (event_id, topic, message_key, event_type, body) USING (event_id)
    ORDER BY message.event_id
)
SELECT input.ordinal, stored.id AS delivery_id, coalesce(counted.new_events, 0) AS new_events
FROM input LEFT JOIN stored USING (ordinal)
     LEFT JOIN (SELECT delivery_id, count(*) AS new_events FROM scans GROUP BY delivery_id) AS counted
     ON counted.delivery_id = stored.id
ORDER BY input.ordinal
""").compile(dialect=asyncpg_dialect())
# asyncpg numbers its parameters ($1, $2, …): the names above in the order they were numbered.
STORE_DELIVERIES_PARAMETERS = tuple(STORE_DELIVERIES.positiontup or ())

DELIVERY_COLUMNS = ("sources", "dedupe_keys", "received_at", "content_types", "headers", "queries", "bodies")
SCAN_COLUMNS = ("event_ids", "keys", "carriers", "tracking_numbers", "event_times", "statuses", "payloads")
OUTBOX_COLUMNS = ("topics", "message_keys", "event_types", "bodies_out")


@dataclass(frozen=True)
class DeliveryRows:
    """One webhook as the values `store_deliveries` binds: made (and serialized) by the request
    that received it, so the statement that stores a batch only concatenates."""

    delivery: tuple[Any, ...]  # in DELIVERY_COLUMNS order
    scans: tuple[tuple[Any, ...], ...]  # each in SCAN_COLUMNS + OUTBOX_COLUMNS order
    keys: frozenset[str]  # the unique keys its rows take: its own and each scan's

    @property
    def size(self) -> int:
        return len(self.delivery[6])


def delivery_rows(delivery: dict[str, Any], keyed_events: Sequence[tuple[str, TrackingUpdated]]) -> DeliveryRows:
    """The rows of a raw delivery (received at `delivery["received_at"]`), its scans and their outbox rows."""
    now = delivery["received_at"]
    scans = dict(keyed_events)  # the same scan twice in one delivery is one scan
    rows = []
    for key, event in scans.items():
        event_id = event_id_for(key)
        envelope = tracking_envelope(event, event_id, now)
        rows.append(
            (
                event_id,
                key,
                event.carrier,
                event.tracking_number,
                event.event_time,
                event.status.value,
                event.model_dump_json(),
                # The outbox columns `outbox_row` would give, the body serialized once, by pydantic-core.
                topic_for_event(envelope.event_type).name,
                message_key(envelope),
                envelope.event_type,
                envelope.model_dump_json(),
            )
        )
    source, dedupe_key = delivery["source"], delivery["dedupe_key"]
    values = (
        source,
        dedupe_key,
        now,
        delivery["content_type"],
        pydantic_core.to_json(delivery["headers"]).decode(),  # as db.make_engine encodes JSONB
        pydantic_core.to_json(delivery["query"]).decode(),
        delivery["body"],
        delivery["event_count"],
    )
    keys = frozenset([f"delivery|{source}|{dedupe_key}", *(f"scan|{key}" for key in scans)])
    return DeliveryRows(values, tuple(rows), keys)


async def store_deliveries(
    connection: asyncpg.Connection, batch: Sequence[DeliveryRows]
) -> list[tuple[int | None, int]]:
    """Store deliveries sharing no key, their new scans and their outbox rows in one statement; for
    each delivery in order its id (None for a duplicate) and how many of its scans were new."""
    columns: dict[str, list[Any]] = {
        name: [rows.delivery[index] for rows in batch] for index, name in enumerate((*DELIVERY_COLUMNS, "event_counts"))
    }
    scans = [(ordinal, scan) for ordinal, rows in enumerate(batch, start=1) for scan in rows.scans]
    columns["scan_deliveries"] = [ordinal for ordinal, _ in scans]
    for index, name in enumerate((*SCAN_COLUMNS, *OUTBOX_COLUMNS)):
        columns[name] = [scan[index] for _, scan in scans]
    rows = await connection.fetch(STORE_DELIVERIES.string, *(columns[name] for name in STORE_DELIVERIES_PARAMETERS))
    return [(row["delivery_id"], row["new_events"]) for row in rows]


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
