"""Bulk statements on a session's own asyncpg connection, for the hot tables of a batch.

A batch writes thousands of rows. Through SQLAlchemy, `execute(insert(table), rows)` costs far
more CPU than the database spends on them (every parameter of every row is processed, and
`insertmanyvalues` renders a statement per page). Here a whole batch is one statement with one
array parameter per column — `INSERT … SELECT * FROM unnest($1::uuid[], …)` — which asyncpg
encodes in binary: one round trip, and the database does the rest.

The statements run on the session's connection, inside its transaction, so they commit or roll
back with everything else the batch writes (ARCHITECTURE §5). They go through SQLAlchemy's
driver-level `exec_driver_sql` (no compiling, no per-parameter processing) rather than to asyncpg
directly, so a failure is the same `sqlalchemy.exc` error as any other statement's — what the
retry predicate and the dead-letter reasons read — and a dropped connection is invalidated.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import pydantic_core
from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import JSON

_DIALECT = postgresql.dialect()


async def insert_ignoring(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], returning: Column[Any] | None = None
) -> list[Any]:
    """Insert `rows` (dicts naming the same columns) in one statement, skipping any whose key
    already exists — a redelivery, or the same row twice in the batch. Returns the `returning`
    column of the rows inserted (none if not asked)."""
    if not rows:
        return []
    names = tuple(rows[0])
    statement = _insert_statement(table, names, returning.name if returning is not None else None)
    arrays = [_column_values(table.c[name], [row[name] for row in rows]) for name in names]
    result = await (await session.connection()).exec_driver_sql(statement, tuple(arrays))
    return list(result.scalars()) if returning is not None else []


async def update_by_key(
    session: AsyncSession, key: Column[Any], values: dict[Any, dict[str, Any]], earliest: tuple[str, ...] = ()
) -> None:
    """Set columns of many rows by key: `values` is key → {column: value}; one statement per set
    of columns named. A column in `earliest` keeps the earlier of its stored and given values
    (how events are batched or ordered cannot change when something first happened)."""
    by_columns: dict[tuple[str, ...], dict[Any, dict[str, Any]]] = {}
    for key_value, row in values.items():
        by_columns.setdefault(tuple(sorted(row)), {})[key_value] = row
    for names, rows in by_columns.items():
        statement = _update_statement(key.table, key.name, names, tuple(n for n in names if n in earliest))
        arrays = [_column_values(key, list(rows))]
        arrays += [_column_values(key.table.c[name], [row[name] for row in rows.values()]) for name in names]
        await (await session.connection()).exec_driver_sql(statement, tuple(arrays))


def _column_values(column: Column[Any], values: list[Any]) -> list[Any]:
    """A column's values as asyncpg takes them: JSON as text (the engine's codec for JSONB takes
    text, see common/db.make_engine) — from plain values or pydantic models alike —, everything
    else as it is."""
    if isinstance(column.type, JSON):
        return [None if value is None else pydantic_core.to_json(value).decode() for value in values]
    return values


@cache
def _insert_statement(table: Table, names: tuple[str, ...], returning: str | None) -> str:
    arrays = ", ".join(f"${index}::{_array_type(table.c[name])}" for index, name in enumerate(names, 1))
    statement = (
        f"INSERT INTO {_qualified(table)} ({', '.join(names)}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"
    )
    return statement + (f" RETURNING {returning}" if returning else "")


@cache
def _update_statement(table: Table, key: str, names: tuple[str, ...], earliest: tuple[str, ...]) -> str:
    columns = (key, *names)
    arrays = ", ".join(f"${index}::{_array_type(table.c[name])}" for index, name in enumerate(columns, 1))
    # least() skips NULLs in PostgreSQL: a column never set takes the given value.
    assigned = ", ".join(
        f"{name} = least({_qualified(table)}.{name}, batch.{name})" if name in earliest else f"{name} = batch.{name}"
        for name in names
    )
    return (
        f"UPDATE {_qualified(table)} SET {assigned} FROM unnest({arrays}) AS batch({', '.join(columns)})"
        f" WHERE {_qualified(table)}.{key} = batch.{key}"
    )


def _array_type(column: Column[Any]) -> str:
    return f"{column.type.compile(dialect=_DIALECT)}[]"


def _qualified(table: Table) -> str:
    return f"{table.schema}.{table.name}" if table.schema else table.name
