"""Session-wide embedded PostgreSQL and broker; per-test topic prefix and clean tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.carrier_adapter.settings import CarrierAdapterSettings
from services.common.db import database
from services.devstack.stack import Stack, start_stack
from services.order_watch.settings import OrderWatchSettings

SCHEMAS = ("carrier_adapter", "order_watch")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(Path(tmp_path_factory.mktemp("stack")))
    try:
        yield running
    finally:
        running.broker.stop()
        running.postgres.stop()


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets its own topics: no message of one test reaches another."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def order_watch_settings(stack: Stack, topic_prefix: str) -> OrderWatchSettings:
    return OrderWatchSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        consumer_group=f"order-watch-{topic_prefix}",
    )


@pytest.fixture
def carrier_adapter_settings(stack: Stack, topic_prefix: str) -> CarrierAdapterSettings:
    return CarrierAdapterSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        webhook_secrets={
            "generic": "whsec_" + "dGVzdC1zZWNyZXQtZm9yLWdlbmVyaWM=",
            "ups": "ups-token-new,ups-token-old",
        },
    )


@pytest.fixture
async def sessions(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on a clean database (every table of both schemas truncated first)."""
    async with database(stack.database_url, pool_size=5) as db:
        await _truncate_all(db.engine)
        yield db.sessions


async def _truncate_all(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        tables = (
            await connection.execute(
                text("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas)"),
                {"schemas": list(SCHEMAS)},
            )
        ).all()
        names = ", ".join(f'"{schema}"."{table}"' for schema, table in tables if table != "alembic_version")
        if names:
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
