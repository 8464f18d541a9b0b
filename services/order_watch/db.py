"""The order_watch schema's declarative base, its outbox table, and bulk appends.

Append-only rows (outbox, audit trail, alert history, notices) are never read back as objects
in the transaction that writes them, so they are not built as ORM objects: `append_row` queues a
plain row on the session, and the queue is written with one executemany per table just before
the session's next flush, statement or commit — when the ORM would have inserted an added object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from services.common.contracts.envelope import Envelope, new_envelope
from services.common.db import declarative_base_for
from services.common.outbox import outbox_model, outbox_row

SCHEMA = "order_watch"
Base = declarative_base_for(SCHEMA)
OutboxMessage = outbox_model(Base)

PRODUCER = "order_watch"
_PENDING = "order_watch.pending_rows"


def publish(session: AsyncSession, event_class: type[Envelope[Any]], payload: BaseModel, now: datetime) -> None:
    """Queue an order_watch event in the outbox, in the caller's transaction."""
    envelope = new_envelope(event_class, payload, occurred_at=now, produced_at=now, producer=PRODUCER)
    append_row(session, OutboxMessage.__table__, outbox_row(envelope, now))


def append_row(session: AsyncSession | Session, table: Table, row: dict[str, Any]) -> None:
    """Insert `row` into `table` in the session's transaction, in bulk with the rows queued beside it.

    Rows of one table keep the order they were appended in (so do their serial ids); every row of
    a table must name the same columns.
    """
    session.info.setdefault(_PENDING, {}).setdefault(table, []).append(row)


def _write_pending(session: Session) -> None:
    pending: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_PENDING, None)
    if pending:
        connection = session.connection()
        for table, rows in pending.items():
            connection.execute(insert(table), rows)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    # Like autoflush: a query in the same transaction sees what was appended before it.
    _write_pending(state.session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
