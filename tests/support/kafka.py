"""Read a topic from the beginning in tests (a fresh consumer group each time)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from services.common.settings import ServiceSettings


async def read_topic(
    settings: ServiceSettings, topic: str, *, expect: int, timeout: float = 20.0
) -> list[ConsumerRecord[Any, Any]]:
    """Every record of a topic, waiting until at least `expect` arrived or `timeout` passed."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                records.extend(part)
            if len(records) >= expect:
                # One more short poll so extra (duplicate) records would be seen too.
                for part in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(part)
                break
    finally:
        await consumer.stop()
    return records
