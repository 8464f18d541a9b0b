"""A process's operations port on the real database and broker: health, readiness and metrics
served, outbox backlog and consumer lag sampled into gauges, vanished series set back to 0."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from prometheus_client import Gauge
from prometheus_client.parser import text_string_to_metric_families

from services.common.clock import SystemClock
from services.common.db import transaction
from services.common.kafka import ensure_topics
from services.common.ops import GaugeTable, Ops, PortTaken, consumer_lag, outbox_backlog, serving_ops
from services.common.outbox import enqueue
from services.common.publish import send
from services.devstack.processes import free_port
from services.order_watch.db import OutboxMessage
from services.order_watch.worker import CONSUMED_TOPICS
from tests.support.events import story_events, unique_order_id
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def gauge_values(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    family = next((f for f in text_string_to_metric_families(text) if f.name == name), None)
    return {frozenset(s.labels.items()): s.value for s in family.samples} if family else {}


async def test_the_ops_port_serves_health_and_sampled_backlog_and_lag(order_watch_settings, sessions) -> None:
    settings = order_watch_settings.model_copy(update={"ops_sample_seconds": 0.2})
    await ensure_topics(settings, CONSUMED_TOPICS)
    events = story_events(unique_order_id(), "1Z999AA10000000001")
    await send(settings, events)
    now = SystemClock().now()
    async with transaction(sessions) as session:
        enqueue(session, OutboxMessage, events[0], now - timedelta(seconds=30))
    group = f"lag-{uuid.uuid4().hex[:8]}"
    samplers = [outbox_backlog(OutboxMessage, "ops_test"), consumer_lag(settings, group, CONSUMED_TOPICS)]
    async with (
        serving_ops(settings, Ops("test", free_port(), "TEST_OPS_PORT", samplers)) as url,
        httpx.AsyncClient() as client,
    ):
        assert (await client.get(f"{url}/healthz")).json() == {"status": "ok"}
        assert (await client.get(f"{url}/readyz")).status_code == 200

        async def sampled() -> str | None:
            text = (await client.get(f"{url}/metrics")).text
            lag = [v for k, v in gauge_values(text, "orderwatch_consumer_lag").items() if ("group", group) in k]
            return text if lag and sum(lag) == len(events) else None

        text = await eventually(sampled, timeout=20)
    assert gauge_values(text, "orderwatch_outbox_unsent")[frozenset({("service", "ops_test")})] == 1
    assert gauge_values(text, "orderwatch_outbox_oldest_unsent_seconds")[frozenset({("service", "ops_test")})] >= 30
    partitions = [k for k in gauge_values(text, "orderwatch_consumer_lag") if ("group", group) in k]
    assert len(partitions) == 6 * len(CONSUMED_TOPICS)  # every partition, not only those with messages
    dead = gauge_values(text, "orderwatch_dlq_messages")
    assert dead[frozenset({("topic", settings.topic("orders.v1.dlq"))})] == 0


async def test_a_taken_port_is_an_error_naming_the_process(order_watch_settings) -> None:
    port = free_port()
    async with serving_ops(order_watch_settings, Ops("first", port, "FIRST_PORT")):
        with pytest.raises(PortTaken, match=f"second cannot serve operations on 127.0.0.1:{port} .*; set SECOND_PORT"):
            async with serving_ops(order_watch_settings, Ops("second", port, "SECOND_PORT")):
                pass


def test_a_series_that_vanishes_goes_to_zero_and_known_ones_start_at_zero() -> None:
    gauge = Gauge(f"test_table_{uuid.uuid4().hex[:8]}", "test", ["rule"])
    table = GaugeTable(gauge, [("stalled",)])
    assert gauge.labels("stalled")._value.get() == 0
    table.update({("late",): 3})
    assert (gauge.labels("late")._value.get(), gauge.labels("stalled")._value.get()) == (3, 0)
    table.update({("stalled",): 1})
    assert (gauge.labels("late")._value.get(), gauge.labels("stalled")._value.get()) == (0, 1)


async def test_dead_letter_depth_counts_what_landed_there(order_watch_settings):
    from services.common.kafka import ensure_topics, make_producer
    from services.common.ops import dead_letter_depths

    await ensure_topics(order_watch_settings, ["orders.v1"])
    producer = make_producer(order_watch_settings)
    await producer.start()
    try:
        for value in (b"one", b"two", b"three"):
            await producer.send_and_wait(order_watch_settings.topic("orders.v1.dlq"), value)
    finally:
        await producer.stop()
    depths = await dead_letter_depths(order_watch_settings, ["orders.v1", "shipments.v1"])
    assert depths[order_watch_settings.topic("orders.v1.dlq")] == 3
    assert order_watch_settings.topic("shipments.v1.dlq") not in depths  # never created: not listed
