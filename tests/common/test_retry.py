"""The outage predicate on real errors: what PostgreSQL, asyncpg, SQLAlchemy and aiokafka raise.

Each transient case is a real server answer or a real refused connection, not a constructed
lookalike, so a predicate that raises or misreads any of them fails here (issue 13: a tuple on
the left of `|` made `is_transient` raise `TypeError` for every error).
"""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NodeNotReadyError,
    RequestTimedOutError,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.db import database
from services.common.retry import STALLS, Outage, describe, is_transient
from services.devstack.processes import free_port

pytestmark = pytest.mark.integration


async def _error_of(database_url: str, sql: str, params: dict[str, object] | None = None) -> BaseException:
    async with database(database_url, pool_size=1) as db, db.engine.connect() as connection:
        with pytest.raises(Exception) as caught:
            await connection.execute(text(sql), params or {})
        return caught.value


def _raise_sqlstate(code: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{code}'; END $$"


@pytest.mark.parametrize(
    ("sqlstate", "meaning"),
    [
        ("40001", "serialization failure"),
        ("40P01", "deadlock detected"),
        ("57P01", "admin shutdown"),
        ("57P03", "cannot connect now (starting up)"),
        ("53300", "too many connections"),
        ("08006", "connection failure"),
    ],
)
async def test_database_answers_that_mean_try_again_are_transient(stack, sqlstate, meaning):
    error = await _error_of(stack.database_url, _raise_sqlstate(sqlstate))
    assert is_transient(error), meaning


@pytest.mark.parametrize(
    ("sql", "params", "meaning"),
    [
        ("SELECT 1 / 0", None, "division by zero"),
        ("SELECT CAST(:value AS text)", {"value": "a\x00b"}, "NUL byte in text"),
        ("SELECT CAST('x' AS integer)", None, "invalid input syntax"),
        (_raise_sqlstate("23505"), None, "unique violation"),
        ("SELECT * FROM no_such_table", None, "undefined table"),
    ],
)
async def test_errors_of_the_statement_itself_are_not_transient(stack, sql, params, meaning):
    error = await _error_of(stack.database_url, sql, params)
    assert not is_transient(error), meaning


async def test_a_connection_killed_under_a_session_is_transient(stack):
    async with database(stack.database_url, pool_size=1) as db, db.engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        stack.postgres.psql(f"SELECT pg_terminate_backend({pid})", database=stack.postgres.database)
        with pytest.raises(Exception) as caught:
            await connection.execute(text("SELECT 1"))
    assert is_transient(caught.value)


async def test_a_refused_connection_is_transient():
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    try:
        with pytest.raises(Exception) as caught:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_transient(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        KafkaConnectionError(),
        KafkaTimeoutError(),
        NodeNotReadyError(),
        RequestTimedOutError(),
        ConnectionResetError(),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        socket.gaierror(-3, "Temporary failure in name resolution"),
    ],
)
def test_broker_unreachable_is_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [MessageSizeTooLargeError(), ValueError("bad"), KeyError("x"), TypeError("x"), FileNotFoundError(2, "gone")],
)
def test_faults_of_the_work_are_not_transient(error):
    assert not is_transient(error)


def test_a_wrapped_outage_is_still_an_outage():
    try:
        try:
            raise ConnectionRefusedError("refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("could not apply batch") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


async def test_an_outage_is_on_record_while_it_lasts_and_cleared_after():
    outage = Outage("test-loop", base_seconds=0.01, max_seconds=0.02)
    await outage.wait(ConnectionRefusedError("connection refused"), asyncio.Event())
    assert STALLS.active()["test-loop"] == "ConnectionRefusedError: connection refused"
    outage.over()
    assert "test-loop" not in STALLS.active()
    assert describe(ValueError("")) == "ValueError"


async def test_a_host_whose_every_address_refuses_is_transient():
    port = free_port()
    with pytest.raises(OSError) as caught:
        await asyncio.open_connection("localhost", port)
    assert is_transient(caught.value), caught.value


def test_a_broken_driver_protocol_state_is_an_outage_not_a_bug() -> None:
    # What asyncpg raised when the server dropped a pooled connection as a statement began on it
    # (seen in make test); the connection is terminated (db.pooled) and the next one works.
    import asyncpg

    assert is_transient(asyncpg.InternalClientError("cannot switch to state 11; another operation (2) is in progress"))
