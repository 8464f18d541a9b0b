"""Database engine and session factory; the caller owning the transaction commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pydantic_core
from sqlalchemy import ColumnElement, MetaData, bindparam, func, make_url, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base_for(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables live in one service's own PostgreSQL schema."""

    class Base(DeclarativeBase):
        metadata = MetaData(schema=schema, naming_convention=NAMING)

    return Base


class NotFound(LookupError):
    """No row with the key asked for (answered 404 `application/problem+json` by the HTTP apps)."""


def make_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    """No ping before each checkout (a round trip per transaction): a connection the server dropped
    fails its next statement instead, which invalidates the pool, so the caller's retry — a
    worker's, or a carrier's after a 503 — gets a fresh connection. JSONB values are encoded and
    decoded by pydantic-core (several times faster than the standard library on the hot tables)."""
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=10,
        json_serializer=_to_json,
        json_deserializer=pydantic_core.from_json,
    )


def _to_json(value: object) -> str:
    return pydantic_core.to_json(value).decode()


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class Database:
    """An engine and the session factory on it."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def database(database_url: str, *, pool_size: int = 10) -> AsyncIterator[Database]:
    """A database for the length of the block (a process's or an app's life); the pool is closed after."""
    engine = make_engine(database_url, pool_size=pool_size)
    try:
        yield Database(engine, make_session_factory(engine))
    finally:
        await engine.dispose()


@asynccontextmanager
async def statement_pool(database_url: str, *, max_size: int) -> AsyncIterator[asyncpg.Pool]:
    """Plain asyncpg connections, for a hot path that runs one statement per request.

    Through SQLAlchemy the same statement costs several times its driver's CPU (checkout, result
    and parameter handling, the greenlet bridge). Connections open on first use (a database down
    at start-up is an outage of the first requests, not a process that will not start). Returning
    one runs no reset statement: the pool's users set no session state (no SET, LISTEN or
    advisory lock), and asyncpg still rolls back a transaction left open. A connection the server
    dropped fails its statement and is replaced by the pool (asyncpg closes it on release).
    """
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = asyncpg.create_pool(url, min_size=0, max_size=max_size, reset=_keep_session)
    try:
        yield await pool
    finally:
        await pool.close()


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset (`statement_pool`): a round trip saved on every release."""


@asynccontextmanager
async def pooled(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of a `statement_pool`. One that fails below the statement — the server
    dropped it while it sat in the pool, and its goodbye met our next statement — is terminated
    rather than handed to the next request (asyncpg would otherwise keep a connection whose
    protocol state is broken: "another operation is in progress")."""
    async with pool.acquire() as connection:
        try:
            yield connection
        except (asyncpg.InterfaceError, asyncpg.InternalClientError, OSError):
            connection.terminate()
            raise


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def one_statement(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a read that is a single statement, in autocommit: PostgreSQL runs a lone
    statement as a transaction of its own (it sees one committed state), so the BEGIN and COMMIT
    round trips around it buy nothing. Core, not a session: the rows are only read, so nothing
    passes through the ORM's result machinery (a 100-row staff list page: 0.9 ms of CPU, against
    3.1 ms in a session's transaction; `bench/lists.py`)."""
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A read-only view of one moment: every query sees the same committed state.

    Under the default READ COMMITTED each statement sees the latest commit, so a view built
    from several queries could show a carrier estimate without the scan committed with it.
    """
    async with sessions() as session:
        # The first connection use begins the transaction with these options. Nothing to commit:
        # closing the session ends it (the pool rolls back on return) without expiring what was
        # loaded, so the caller can still read it.
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
        yield session


async def database_reachable(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def any_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (SELECT unnest(:array))`: one bound array instead of one parameter per value, so
    the statement's text (and its prepared plan) is the same however many values a batch looks up,
    and the planner probes the column's index once per value. (`= ANY(:array)` lets it guess how
    many rows match from table statistics, which lag behind a table a backlog is filling: it chose
    a sequential scan of the alerts, 140 ms a batch at 20,000 alerts.)"""
    keys = func.unnest(bindparam(None, list(values), type_=ARRAY(column.type))).table_valued("value").render_derived()
    return column.in_(select(keys.c.value))


def pairs_in(first: Any, second: Any, pairs: Sequence[tuple[Any, Any]]) -> ColumnElement[bool]:
    """`(first, second) IN (SELECT * FROM unnest(:firsts, :seconds))`, for the same reasons as `any_of`."""
    firsts, seconds = zip(*pairs, strict=True) if pairs else ((), ())
    keys = (
        func.unnest(
            bindparam(None, list(firsts), type_=ARRAY(first.type)),
            bindparam(None, list(seconds), type_=ARRAY(second.type)),
        )
        .table_valued("first", "second")
        .render_derived()
    )
    return tuple_(first, second).in_(select(keys.c.first, keys.c.second))
