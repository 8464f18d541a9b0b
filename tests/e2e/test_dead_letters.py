"""Dead letters are recoverable, through the real broker, worker and PostgreSQL.

A rule in the database refuses one order, so the worker dead-letters it as unprocessable; an
operator lists and shows it with `order-watch dlq`, fixes the database and replays it: applied
once. Replaying it again changes nothing, and an undecodable message is never re-sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import TopicPartition
from sqlalchemy import func, select, text

from services.common.clock import SystemClock
from services.common.dlq_commands import read_dead_letters
from services.common.kafka import ensure_topics, make_consumer, make_producer
from services.common.publish import send
from services.order_watch.alerts.models import Alert
from services.order_watch.cli import main as order_watch_cli
from services.order_watch.orders.models import Order, ProcessedEvent, PromiseVersion
from services.order_watch.worker import run_worker
from tests.support.events import label_created, order_placed, unique_order_id
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.servers import background

pytestmark = pytest.mark.integration


@pytest.fixture
async def refused_order(sessions) -> AsyncIterator[str]:
    """An order id the orders table refuses until the test drops the rule — the "fix"."""
    order_id = unique_order_id()
    async with sessions() as session, session.begin():
        await session.execute(
            text(f"ALTER TABLE order_watch.orders ADD CONSTRAINT refuse_dlq_test CHECK (order_id <> '{order_id}')")
        )
    yield order_id
    await drop_refusal(sessions)


async def drop_refusal(sessions) -> None:
    async with sessions() as session, session.begin():
        await session.execute(text("ALTER TABLE order_watch.orders DROP CONSTRAINT IF EXISTS refuse_dlq_test"))


@pytest.fixture
def cli(order_watch_settings, monkeypatch, capsys):
    """Run `order-watch ...` as an operator would (its own event loop, in a thread); returns stdout."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", order_watch_settings.kafka_bootstrap_servers)
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", order_watch_settings.kafka_topic_prefix)

    async def run(*argv: str) -> str:
        capsys.readouterr()
        await asyncio.to_thread(order_watch_cli, ["dlq", *argv])
        return capsys.readouterr().out

    return run


async def counts(sessions, order_id: str, event_id: str) -> dict[str, int]:
    """How many rows the order left behind: a second application would double one of them."""
    async with sessions() as session:
        return {
            "orders": await session.scalar(select(func.count()).select_from(Order).where(Order.order_id == order_id)),
            "events": await session.scalar(
                select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id == event_id)
            ),
            "promises": await session.scalar(
                select(func.count()).select_from(PromiseVersion).where(PromiseVersion.order_id == order_id)
            ),
            "alerts": await session.scalar(select(func.count()).select_from(Alert).where(Alert.order_id == order_id)),
        }


async def worker_caught_up(settings) -> bool:
    """The worker has committed past everything now on orders.v1 (so it has seen every replay)."""
    consumer = make_consumer(settings, settings.consumer_group)
    await consumer.start()
    try:
        topic = settings.topic("orders.v1")
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions)
        committed = {tp: await consumer.committed(tp) or 0 for tp in partitions}
        return all(committed[tp] >= end for tp, end in ends.items())
    finally:
        await consumer.stop()


async def test_a_dead_letter_is_listed_shown_replayed_after_a_fix_and_applied_once(
    order_watch_settings, sessions, refused_order, cli
):
    settings = order_watch_settings
    now = datetime.now(UTC)
    refused = order_placed(refused_order, placed_at=now - timedelta(hours=3), promised_by=now + timedelta(days=1))
    label = label_created(refused_order, created_at=now - timedelta(hours=1), tracking_number=f"1Z{refused_order}")
    event_id = str(refused.event_id)
    await ensure_topics(settings)
    async with background(lambda stop: run_worker(settings, sessions, SystemClock(), stop)):
        await send(settings, [refused])
        producer = make_producer(settings)
        await producer.start()
        try:
            await producer.send_and_wait(settings.topic("orders.v1"), b"\xff not json", key=b"garbage")
        finally:
            await producer.stop()
        letters = await eventually(lambda: _at_least(read_dead_letters(settings), 2))

        listing = await cli("list")
        (failed,) = [letter for letter in letters if letter.reason == "unprocessable"]
        (garbage,) = [letter for letter in letters if letter.reason == "undecodable"]
        assert len(listing.splitlines()) == 3
        row = next(line for line in listing.splitlines() if event_id in line)
        at = f"{failed.partition}:{failed.offset}"
        assert row.split()[:5] == ["orders.v1", at, "unprocessable", failed.failed_at, "order.placed"]
        assert "IntegrityError" in row
        assert failed.source.startswith(settings.topic("orders.v1") + ":")
        (_, only) = (await cli("list", "--reason", "undecodable")).splitlines()
        assert only.split()[:3] == ["orders.v1", f"{garbage.partition}:{garbage.offset}", "undecodable"]

        shown = json.loads(await cli("show", "orders.v1", at))
        assert shown["value"]["event_id"] == event_id
        assert shown["key"] == refused_order
        assert shown["headers"]["dlq.reason"] == "unprocessable"
        assert (await counts(sessions, refused_order, event_id))["orders"] == 0

        await drop_refusal(sessions)
        replayed = await cli("replay", "--all")
        assert f"replayed orders.v1 {at} (event {event_id})" in replayed
        assert f"not replayed orders.v1 {garbage.partition}:{garbage.offset}: still undecodable" in replayed
        await eventually(lambda: _having(counts(sessions, refused_order, event_id), "orders"))
        await send(settings, [label])  # so the order has an alert too, which a second application could double
        once = await eventually(lambda: _having(counts(sessions, refused_order, event_id), "alerts"))
        assert once["orders"] == once["events"] == once["promises"] == 1, once

        await cli("replay", "--topic", "orders.v1", "--at", at)
        await cli("replay", "--all", "--reason", "unprocessable")
        copies = await read_topic(settings, "orders.v1", expect=5)
        copies = [record for record in copies if record.value == refused.to_json_bytes()]
        assert [dict(record.headers).get("dlq.replayed_from") for record in copies] == [
            None,
            *[f"orders.v1.dlq:{at}".encode()] * 3,
        ]
        assert {record.key for record in copies} == {refused_order.encode()}
        await eventually(lambda: worker_caught_up(settings))
        assert await counts(sessions, refused_order, event_id) == once
        assert len(await read_dead_letters(settings)) == 2


async def test_naming_a_dead_letter_that_is_not_there_or_replaying_without_a_choice_fails(
    order_watch_settings, cli, capsys
):
    await ensure_topics(order_watch_settings)
    assert await cli("list") == "no dead letters\n"
    with pytest.raises(SystemExit) as missing:
        await cli("show", "orders.v1", "0:99")
    assert missing.value.code == 1
    assert capsys.readouterr().err == "no dead letter orders.v1 0:99\n"
    for argv in (["replay"], ["replay", "--at", "0:1"]):
        with pytest.raises(SystemExit) as usage:
            await cli(*argv)
        assert usage.value.code == 2


async def _at_least(letters, count: int):
    found = await letters
    return found if len(found) >= count else None


async def _having(counted, table: str):
    found = await counted
    return found if found[table] else None
