"""The batch consumer through an outage, on the real broker: the batch is kept and retried, the
partitions stay ours (paused, still polled), nothing is dead-lettered or committed meanwhile."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener

from services.common.kafka import BatchConsumer, Delivered, ensure_topics, make_producer
from services.common.publish import send
from tests.support.events import order_placed, unique_order_id
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.servers import background

pytestmark = pytest.mark.integration
OUTAGE_SECONDS = 6.0
MAX_POLL_INTERVAL_MS = 2_000  # far shorter than the outage: a member that stopped polling is put out


class CountingRebalance(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.revoked = 0

    async def on_partitions_revoked(self, revoked) -> None:  # type: ignore[no-untyped-def]
        self.revoked += len(revoked)

    async def on_partitions_assigned(self, assigned) -> None:  # type: ignore[no-untyped-def]
        return None


class FlakyHandler:
    """Refuses like a database that is down until the outage ends, then records what it got."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.attempts = 0
        self.applied: list[str] = []

    async def __call__(self, delivered: list[Delivered]) -> None:
        self.attempts += 1
        if self.down_until == 0.0:
            self.down_until = time.monotonic() + OUTAGE_SECONDS
        if time.monotonic() < self.down_until:
            raise ConnectionRefusedError("connection refused")
        self.applied.extend(item.event.payload.order_id for item in delivered)


async def test_an_outage_keeps_the_batch_and_the_partitions(order_watch_settings):
    settings = order_watch_settings
    await ensure_topics(settings, ["orders.v1"], partitions=2)
    now = datetime.now(UTC)
    orders = [unique_order_id() for _ in range(5)]
    await send(settings, [order_placed(o, placed_at=now, promised_by=now + timedelta(days=2)) for o in orders])

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"outage-{settings.kafka_topic_prefix}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )
    producer = make_producer(settings)
    handler, listener = FlakyHandler(), CountingRebalance()
    loop = BatchConsumer(settings, consumer, producer, handler, topics=["orders.v1"], name="test_outage")
    await producer.start()
    await consumer.start()
    try:
        consumer.subscribe([settings.topic("orders.v1")], listener=listener)
        async with background(loop.run):
            await eventually(lambda: _true(handler.applied), timeout=OUTAGE_SECONDS + 20)
            await asyncio.sleep(1)
    finally:
        await consumer.stop()
        await producer.stop()
    assert sorted(handler.applied) == sorted(orders)  # each once, after the outage
    assert handler.attempts > 2  # retried, not given up
    assert listener.revoked == 0  # still polled while paused: never put out of the group
    assert await read_topic(settings, "orders.v1.dlq", expect=1, timeout=2) == []


async def _true(value: object) -> bool | None:
    return True if value else None
