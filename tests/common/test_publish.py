"""`publish()` reports events sent only into topics the broker lists, as the outbox relay does:
a restarted embedded broker acknowledges sends into topics it makes up on the spot, which no
consumer reads (it acked 166 such events before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.kafka import TopicsMissing, ensure_topics, make_producer
from services.common.publish import publish, send
from services.common.settings import ServiceSettings
from services.devstack.broker import EmbeddedBroker
from services.devstack.processes import free_port
from tests.support.events import story_events, unique_order_id
from tests.support.kafka import read_topic

pytestmark = pytest.mark.integration


def story() -> list:
    return story_events(unique_order_id(), "1Z999AA10000000002")


async def test_events_reach_topics_that_exist(order_watch_settings) -> None:
    await ensure_topics(order_watch_settings)
    await send(order_watch_settings, story())
    assert len(await read_topic(order_watch_settings, "orders.v1", expect=1)) == 1


async def test_a_topic_never_created_is_refused_before_anything_is_sent(order_watch_settings) -> None:
    with pytest.raises(TopicsMissing, match=order_watch_settings.topic("orders.v1")):
        await send(order_watch_settings, story())
    producer = make_producer(order_watch_settings)
    await producer.start()
    try:
        listed = set((await producer.client.fetch_all_metadata()).topics())
    finally:
        await producer.stop()
    assert order_watch_settings.topic("orders.v1") not in listed  # the check did not create it by sending


async def test_a_broker_that_restarted_empty_is_not_taken_at_its_word(tmp_path: Path) -> None:
    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    try:
        settings = ServiceSettings(kafka_bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        try:
            await publish(producer, settings, story())
            broker.restart()  # memory storage: every topic is gone
            with pytest.raises(TopicsMissing):
                await publish(producer, settings, story())
        finally:
            await producer.stop()
    finally:
        broker.stop()
