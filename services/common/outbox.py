"""Transactional outbox: events for other services are written with the change that caused
them, and a relay publishes them afterwards (at-least-once) and marks them sent.

Each service owns an `outbox` table in its own schema (`outbox_model(Base)`); the relay is the
same code for both. Several relays may run: rows are claimed with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import BigInteger, DateTime, Index, String, select, update
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.clock import Clock
from services.common.contracts import Envelope
from services.common.contracts.topics import message_key, topic_for_event
from services.common.db import transaction
from services.common.lifecycle import sleep_or_stop
from services.common.metrics import OUTBOX_FAILURES, OUTBOX_PUBLISHED
from services.common.retry import Outage, transient_retry
from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)


def outbox_model(base: type[DeclarativeBase]) -> type[Any]:
    """The outbox table mapped on a service's declarative base."""

    class OutboxMessage(base):  # type: ignore[misc, valid-type]
        __tablename__ = "outbox"
        __table_args__ = (Index("ix_outbox_unsent", "id", postgresql_where="sent_at IS NULL"),)

        id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
        event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
        topic: Mapped[str] = mapped_column(String(200))
        message_key: Mapped[str] = mapped_column(String(500))
        event_type: Mapped[str] = mapped_column(String(100))
        body: Mapped[dict[str, Any]] = mapped_column(JSONB)
        created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
        sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    return OutboxMessage


def outbox_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    """The outbox row of an event: its topic and partition key come from the topic table."""
    return {
        "event_id": event.event_id,
        "topic": topic_for_event(event.event_type).name,
        "message_key": message_key(event),
        "event_type": event.event_type,
        "body": event.model_dump(mode="json"),
        "created_at": now,
    }


def enqueue(session: AsyncSession, model: type[Any], event: Envelope[Any], now: datetime) -> None:
    """Add an event to the outbox in the caller's transaction."""
    session.add(model(**outbox_row(event, now)))


class OutboxRelay:
    """Publish unsent outbox rows in id order; survive broker outages by backing off and resuming."""

    def __init__(
        self,
        settings: ServiceSettings,
        sessions: async_sessionmaker[AsyncSession],
        model: type[Any],
        producer: AIOKafkaProducer,
        clock: Clock,
        *,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        max_backoff_seconds: float = 5.0,
        recover: Callable[[], Awaitable[object]] | None = None,
        confirm: Callable[[set[str]], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.model = model
        self.producer = producer
        self.clock = clock
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.recover = recover
        self.confirm = confirm
        self.outage = Outage(f"outbox_relay:{model.__table__.fullname}", max_seconds=max_backoff_seconds)

    async def relay_once(self) -> int:
        """Publish one batch and mark it sent in the same transaction that claimed it."""
        model = self.model
        async with transaction(self.sessions) as session:
            rows = (
                await session.scalars(
                    select(model)
                    .where(model.sent_at.is_(None))
                    .order_by(model.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self._publish(rows)
            await self._confirm({row.topic for row in rows})
            await session.execute(
                update(model).where(model.id.in_([row.id for row in rows])).values(sent_at=self.clock.now())
            )
        return len(rows)

    async def _confirm(self, topics: set[str]) -> None:
        """Acks are not enough: a broker that restarted empty acks into topics it auto-creates
        and cannot serve. Mark rows sent only if their topics are really there (`TopicsMissing`)."""
        if self.confirm is not None:
            await self.confirm({self.settings.topic(name) for name in topics})

    async def _publish(self, rows: list[Any]) -> None:
        # Queue the whole batch first so aiokafka can pack it, then wait for every ack.
        pending = []
        for row in rows:
            pending.append(
                await self.producer.send(
                    self.settings.topic(row.topic),
                    value=json.dumps(row.body, separators=(",", ":")).encode(),
                    key=row.message_key.encode(),
                    headers=[("event_type", row.event_type.encode()), ("event_id", str(row.event_id).encode())],
                )
            )
        await asyncio.gather(*pending)
        for row in rows:
            OUTBOX_PUBLISHED.labels(topic=row.topic).inc()

    async def _recover(self) -> bool:
        """After a failure, repair what we can before publishing again: a restarted broker
        may have lost its topics, and publishing first would let it auto-create them wrongly."""
        if self.recover is None:
            return True
        try:
            await self.recover()
            return True
        except Exception as exc:
            log.info("relay recovery step failed; will retry", extra={"error": repr(exc)})
            return False

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop`; on failure wait (jittered, capped backoff), recover, and resume.

        Rows stay unsent until a publish is confirmed, so any failure is safe to wait out.
        """
        while not stop.is_set():
            if self.outage.attempts and not await self._recover():
                await self.outage.wait(RuntimeError("recovery step failed"), stop)
                continue
            try:
                sent = await self.relay_once()
            except Exception as exc:
                OUTBOX_FAILURES.labels(topic="*").inc()
                await self.outage.wait(exc, stop)
                continue
            self.outage.over()
            if sent < self.batch_size:
                await sleep_or_stop(stop, self.idle_seconds)


async def mark_unsent_since(sessions: async_sessionmaker[AsyncSession], model: type[Any], since: datetime) -> int:
    """Mark every row published at or after `since` unsent, so the relay publishes it again.

    For a broker that lost what it had acknowledged (the embedded broker restarted empty, or a
    topic deleted by mistake). Consumers skip by event id whatever they had already applied,
    so publishing too much is harmless; publishing too little is not.
    """
    async with transaction(sessions) as session:
        result = await session.execute(update(model).where(model.sent_at >= since).values(sent_at=None))
    return int(result.rowcount or 0)


def republish_command(settings: ServiceSettings, model: type[Any], since: datetime) -> None:
    """`… republish --since ISO`: what `mark_unsent_since` does, from the command line."""
    from services.common.db import database

    async def run() -> int:
        async with database(settings.database_url, pool_size=1) as db:
            return await mark_unsent_since(db.sessions, model, since)

    marked = asyncio.run(run())
    print(f"{marked} outbox events published since {since.isoformat()} will be published again by the relay")


def since_argument(text: str) -> datetime:
    """A timezone-aware ISO 8601 instant, for `--since`."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("give an offset, e.g. 2026-12-01T20:00:00+00:00")
    return moment


async def run_relay(settings: ServiceSettings, model: type[Any], clock: Clock, stop: asyncio.Event) -> None:
    """Run one outbox relay process until `stop`: its own database pool and producer."""
    from services.common.db import database
    from services.common.kafka import confirm_topics, ensure_topics, make_producer

    producer = make_producer(settings)

    async with database(settings.database_url, pool_size=2) as db:
        try:
            async for attempt in _startup_retry():
                with attempt:
                    await ensure_topics(settings)
                    await producer.start()
            relay = OutboxRelay(
                settings,
                db.sessions,
                model,
                producer,
                clock,
                recover=lambda: ensure_topics(settings),
                confirm=lambda topics: confirm_topics(producer, topics),
            )
            log.info("outbox relay running", extra={"table": model.__table__.fullname})
            await relay.run(stop)
        finally:
            await producer.stop()


def _startup_retry() -> Any:
    return transient_retry(attempts=30, max_wait=5.0)
