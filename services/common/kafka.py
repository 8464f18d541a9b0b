"""Kafka plumbing: producer/consumer factories, topic creation, and the batch consumer loop.

The loop is the heart of at-least-once delivery: decode a `getmany()` batch, send what cannot
be decoded to `<topic>.dlq`, hand the rest to the handler (which commits the database), and
only then commit offsets, explicitly per partition. An outage of the database or the broker is
not the messages' fault: the loop keeps the batch and retries it until the outage ends, and
dead-letters a message only when it fails alone while its dependencies are healthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError, TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from services.common.contracts import TOPICS, Envelope, decode_event
from services.common.metrics import CONSUMED, DEAD_LETTERED
from services.common.retry import Outage, describe, is_transient
from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


def make_consumer(settings: ServiceSettings, group_id: str, *, max_poll_records: int = 500) -> AIOKafkaConsumer:
    """Manual commits only: offsets move after the database commit, never on a timer."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=2_000,
        request_timeout_ms=15_000,
        retry_backoff_ms=200,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


async def ensure_topics(
    settings: ServiceSettings, names: Iterable[str] | None = None, *, partitions: int = 6, replication: int = 1
) -> list[str]:
    """Create every contract topic and its dead-letter topic if missing; returns those created."""
    wanted = names if names is not None else TOPICS
    physical = [settings.topic(name) for base in wanted for name in (base, f"{base}.dlq")]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in physical if name not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(name, partitions, replication) for name in missing])
            except TopicAlreadyExistsError:
                pass  # another process won the race; the topic is there, which is all we need
        return missing
    finally:
        await admin.close()


@dataclass(frozen=True)
class Delivered:
    """One decoded message: its contract topic and the typed event."""

    topic: str
    event: Envelope[Any]
    record: ConsumerRecord


BatchHandler = Callable[[list[Delivered]], Awaitable[None]]
HealthCheck = Callable[[], Awaitable[bool]]


class Stopped(Exception):
    """Asked to stop while waiting out an outage: leave the batch uncommitted for redelivery."""


class _LogRebalance(ConsumerRebalanceListener):
    """Batches are applied between `getmany()` calls, so none is in flight during a rebalance.

    What was applied but not committed is redelivered to the new owner and skipped there by
    its event id, so revocation needs no work beyond a log line.
    """

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        log.info("partitions revoked", extra={"partitions": [f"{tp.topic}:{tp.partition}" for tp in revoked]})

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": [f"{tp.topic}:{tp.partition}" for tp in assigned]})


class BatchConsumer:
    """Consume contract topics in batches with dead-lettering and commit-after-apply."""

    def __init__(
        self,
        settings: ServiceSettings,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        handler: BatchHandler,
        *,
        topics: Iterable[str],
        timeout_ms: int = 200,
        max_records: int = 500,
        healthy: HealthCheck | None = None,
        name: str = "consumer",
    ) -> None:
        self.settings = settings
        self.consumer = consumer
        self.producer = producer
        self.handler = handler
        self.topics = list(topics)
        self.timeout_ms = timeout_ms
        self.max_records = max_records
        self.healthy = healthy
        self.outage = Outage(name)
        self._stop = asyncio.Event()
        self._contract_names = {settings.topic(topic): topic for topic in self.topics}

    def subscribe(self) -> None:
        self.consumer.subscribe(list(self._contract_names), listener=_LogRebalance())

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        while not stop.is_set():
            try:
                await self.run_once()
            except Stopped:
                return

    async def run_once(self) -> int:
        """Consume, apply and commit one batch; returns how many messages it covered."""
        batch = await self.consumer.getmany(timeout_ms=self.timeout_ms, max_records=self.max_records)
        if not batch:
            return 0
        delivered: list[Delivered] = []
        for records in batch.values():
            for record in records:
                event = await self._decode_or_dead_letter(record)
                if event is not None:
                    delivered.append(event)
        # Counted per batch: a labelled metric costs a lock and a lookup per call.
        for (contract, event_type), count in Counter((d.topic, d.event.event_type) for d in delivered).items():
            CONSUMED.labels(topic=contract, event_type=event_type).inc(count)
        if delivered:
            await self._apply(delivered)
        await self._commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        return sum(len(records) for records in batch.values())

    async def _through_outages(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` until it succeeds or fails for a reason of its own (raised).

        A transient error, or any error while a dependency is down, means the same work is
        retried after a backoff, however long that takes; `Stopped` if asked to stop meanwhile.
        """
        while True:
            try:
                await work()
            except Exception as exc:
                if is_transient(exc) or not await self._dependencies_healthy():
                    await self._wait_paused(exc)
                    if self._stop.is_set():
                        raise Stopped from exc
                    continue
                raise
            self.outage.over()
            return

    async def _wait_paused(self, error: Exception) -> None:
        """One backoff of an outage with our partitions paused, still polling: a member that
        stops polling for `max.poll.interval.ms` is put out of the group, so a long outage
        would otherwise end in a rebalance of every worker."""

        async def poll_paused(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while not self._stop.is_set() and time.monotonic() < deadline:
                self.consumer.pause(*self.consumer.assignment())  # a rebalance may have added some
                for tp, records in (await self.consumer.getmany(timeout_ms=200)).items():
                    self.consumer.seek(tp, records[0].offset)  # assigned mid-poll: read them again later

        try:
            await self.outage.wait(error, self._stop, sleep=poll_paused)
        finally:
            with contextlib.suppress(IllegalStateError):  # revoked meanwhile: nothing to resume
                self.consumer.resume(*self.consumer.assignment())

    async def _dependencies_healthy(self) -> bool:
        if self.healthy is None:
            return True
        try:
            return await self.healthy()
        except Exception:
            return False

    async def _decode_or_dead_letter(self, record: ConsumerRecord) -> Delivered | None:
        contract = self._contract_names[record.topic]
        try:
            event = decode_event(contract, record.value or b"")
        except (ValidationError, ValueError) as exc:
            await self.dead_letter(record, "undecodable", str(exc)[:500])
            return None
        return Delivered(contract, event, record)

    async def _apply(self, delivered: list[Delivered]) -> None:
        """Apply the batch through any outage; if it fails on its own, isolate the bad messages."""
        try:
            await self._through_outages(lambda: self.handler(delivered))
            return
        except Stopped:
            raise
        except Exception as exc:
            if len(delivered) == 1:
                event_id = str(delivered[0].event.event_id)
                log.error("message cannot be applied", exc_info=exc, extra={"event_id": event_id})
                await self.dead_letter(delivered[0].record, "unprocessable", describe(exc))
                return
            log.warning("batch failed; applying its messages one by one", extra={"size": len(delivered)})
        for one in delivered:
            await self._apply([one])

    async def dead_letter(self, record: ConsumerRecord, reason: str, detail: str) -> None:
        contract = self._contract_names[record.topic]
        headers = [
            *(record.headers or ()),
            ("dlq.reason", reason.encode()),
            ("dlq.detail", detail.encode()),
            ("dlq.source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]

        async def send() -> None:
            await self.producer.send_and_wait(
                self.settings.topic(f"{contract}.dlq"), value=record.value, key=record.key, headers=headers
            )

        await self._through_outages(send)
        DEAD_LETTERED.labels(topic=contract, reason=reason).inc()
        log.warning("message dead-lettered", extra={"topic": contract, "reason": reason, "offset": record.offset})

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._through_outages(lambda: self.consumer.commit(offsets))
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced under us; the new owner re-reads and skips what we applied.
            log.warning("offset commit failed after a rebalance", extra={"error": str(exc)})


class TopicsMissing(RuntimeError):
    """The broker does not list a topic we publish to (a broker restarted empty lost it)."""


async def confirm_topics(producer: AIOKafkaProducer, topics: set[str]) -> None:
    """Raise `TopicsMissing` unless the broker lists every topic (a metadata request)."""
    # A restarted broker drops the connection: the first request fails, the next reconnects.
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(KafkaError), stop=stop_after_attempt(3), wait=wait_fixed(0.5), reraise=True
    ):
        with attempt:
            listed = set((await producer.client.fetch_all_metadata()).topics())
    if not topics <= listed:
        raise TopicsMissing(f"the broker does not list topic(s) {', '.join(sorted(topics - listed))}")


def topics_main() -> None:
    """`ow-topics`: create every contract topic and its dead-letter topic (idempotent)."""
    import argparse

    parser = argparse.ArgumentParser(description=topics_main.__doc__)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication", type=int, default=1)
    args = parser.parse_args()
    settings = ServiceSettings()

    async def run() -> None:
        created = await ensure_topics(settings, partitions=args.partitions, replication=args.replication)
        print("created: " + (", ".join(created) if created else "none (all topics exist)"))

    asyncio.run(run())
