"""The worker waits out a database outage: nothing dead-lettered, nothing lost, not ready meanwhile.

The worker runs on a PostgreSQL of its own, which the test stops and restarts under traffic
(issue 13: a stopped database used to dead-letter every message in flight and commit past it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from services.common.clock import SystemClock
from services.common.db import database
from services.common.kafka import ensure_topics
from services.common.migrations import upgrade
from services.common.publish import send
from services.common.retry import STALLS
from services.devstack.postgres import EmbeddedPostgres
from services.devstack.processes import free_port
from services.order_watch.orders.models import Order
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import CONSUMED_TOPICS, run_worker
from tests.support.events import label_created, order_placed, unique_order_id
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.servers import background

pytestmark = pytest.mark.integration


@pytest.fixture
def own_postgres(tmp_path: Path):
    postgres = EmbeddedPostgres(tmp_path / "pg", free_port(), fast_and_unsafe=True)
    postgres.start()
    upgrade("services.order_watch", postgres.url)
    try:
        yield postgres
    finally:
        postgres.stop()


def _orders(count: int) -> list:
    now = datetime.now(UTC)
    events = []
    for _ in range(count):
        order_id = unique_order_id()
        events.append(order_placed(order_id, placed_at=now - timedelta(hours=3), promised_by=now + timedelta(days=3)))
        events.append(label_created(order_id, created_at=now - timedelta(hours=1), tracking_number=f"1Z{order_id}"))
    return events


async def test_a_stopped_database_is_waited_out_not_dead_lettered(own_postgres, order_watch_settings):
    settings = OrderWatchSettings(**{**order_watch_settings.model_dump(), "database_url": own_postgres.url})
    async with database(own_postgres.url, pool_size=4) as db:

        async def stored_orders() -> int:
            async with db.sessions() as session:
                return (await session.execute(select(func.count()).select_from(Order))).scalar_one()

        await ensure_topics(settings, CONSUMED_TOPICS)  # before sending: publish() refuses topics not there
        async with background(lambda stop: run_worker(settings, db.sessions, SystemClock(), stop)):
            await send(settings, _orders(10))
            await eventually(lambda: _at_least(stored_orders, 10))

            own_postgres.stop()
            await send(settings, _orders(15))  # in flight while the database is down
            await eventually(lambda: _stalled("order_watch_worker"), timeout=30)
            await asyncio.sleep(2)  # several retries of the same batch
            own_postgres.start()

            await eventually(lambda: _at_least(stored_orders, 25), timeout=60)
            await eventually(lambda: _not_stalled("order_watch_worker"), timeout=30)
        async with db.engine.connect() as connection:
            shipments = (await connection.execute(text("SELECT count(*) FROM order_watch.shipments"))).scalar_one()
        assert await stored_orders() == 25
    assert shipments == 25
    assert await read_topic(settings, "orders.v1.dlq", expect=1, timeout=2) == []
    assert await read_topic(settings, "shipments.v1.dlq", expect=1, timeout=1) == []


async def _at_least(count, wanted: int) -> bool | None:
    try:
        return True if await count() >= wanted else None
    except Exception:
        return None


async def _stalled(loop: str) -> bool | None:
    return True if loop in STALLS.active() else None


async def _not_stalled(loop: str) -> bool | None:
    return True if loop not in STALLS.active() else None
