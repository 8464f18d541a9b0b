"""Against the real database: a snapshot reads one moment and writes nothing; a dropped connection is replaced."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.common.db import database, pooled, snapshot, statement_pool, transaction
from services.common.retry import is_transient

pytestmark = pytest.mark.integration


async def test_snapshot_is_repeatable_read_and_read_only_and_leaves_the_pool_as_it_was(sessions):
    async with snapshot(sessions) as session:
        assert (await session.scalar(text("SHOW transaction_isolation"))) == "repeatable read"
        with pytest.raises(DBAPIError, match="read-only"):
            await session.execute(text("CREATE TEMP TABLE nope (id int)"))
    async with transaction(sessions) as session:
        assert (await session.scalar(text("SHOW transaction_isolation"))) == "read committed"
        assert (await session.scalar(text("SHOW transaction_read_only"))) == "off"


async def test_snapshot_does_not_see_commits_made_after_it_began(sessions):
    async with transaction(sessions) as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS public.snapshot_probe (id int)"))
        await session.execute(text("TRUNCATE public.snapshot_probe"))
    async with snapshot(sessions) as view:
        assert await view.scalar(text("SELECT count(*) FROM public.snapshot_probe")) == 0
        async with transaction(sessions) as writer:
            await writer.execute(text("INSERT INTO public.snapshot_probe VALUES (1)"))
        assert await view.scalar(text("SELECT count(*) FROM public.snapshot_probe")) == 0
    async with transaction(sessions) as session:
        assert await session.scalar(text("SELECT count(*) FROM public.snapshot_probe")) == 1
        await session.execute(text("DROP TABLE public.snapshot_probe"))


async def test_a_connection_the_server_dropped_fails_once_then_the_pool_reconnects(stack):
    async with database(stack.database_url, pool_size=1) as db:
        async with transaction(db.sessions) as session:
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
        killer = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
        await killer.execute("SELECT pg_terminate_backend($1)", backend)
        await killer.close()
        with pytest.raises(DBAPIError) as failed:
            async with transaction(db.sessions) as session:
                await session.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        async with transaction(db.sessions) as session:
            assert await session.scalar(text("SELECT pg_backend_pid()")) != backend


async def test_the_statement_pool_replaces_a_connection_the_server_dropped_and_says_it_was_an_outage(stack):
    async with statement_pool(stack.database_url, max_size=1) as pool:
        async with pool.acquire() as connection:
            backend = await connection.fetchval("SELECT pg_backend_pid()")
        killer = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
        await killer.execute("SELECT pg_terminate_backend($1)", backend)
        await killer.close()
        try:
            async with pooled(pool) as connection:
                await connection.fetchval("SELECT 1")
        except Exception as exc:  # the server's goodbye may arrive first: then the pool never hands it out
            assert is_transient(exc), exc
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") != backend
