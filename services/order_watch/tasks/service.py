"""Task queries for the staff API: filtered lists and one task (locked to change it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.common.db import NotFound
from services.order_watch.cursors import page
from services.order_watch.orders.models import Order
from services.order_watch.tasks.models import Task


@dataclass(frozen=True)
class TaskFilters:
    """Which tasks to list; None matches anything."""

    statuses: tuple[str, ...] | None = None
    owner: str | None = None
    order_id: str | None = None
    due_before: datetime | None = None
    ids: tuple[uuid.UUID, ...] | None = None
    limit: int = 100
    after: tuple[Any, ...] | None = None  # the sort key of the last row already shown (`cursor_of`)


# Earliest act-by first, then the oldest; the id makes the order total.
SORT_KEY = (Task.act_by, Task.created_at, Task.task_id)
SORT_KINDS = (datetime, datetime, uuid.UUID)


def cursor_of(task: Any) -> tuple[Any, ...]:
    """A task's place in the list order (what `TaskFilters.after` takes)."""
    return (task.act_by, task.created_at, task.task_id)


async def list_tasks(connection: AsyncSession | AsyncConnection, filters: TaskFilters) -> list[Any]:
    """Matching tasks, earliest act-by first, the page after `filters.after`: plain rows with the
    task's attributes (a list is only read, so no ORM object is built or tracked for it). The
    staff API asks on a `db.one_statement` connection; a board, in the transaction of its page."""
    query = select(Task.__table__)
    for name in ("owner", "order_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Task, name) == value)
    if filters.statuses is not None:
        query = query.where(Task.status.in_(filters.statuses))
    if filters.ids is not None:
        query = query.where(Task.task_id.in_(filters.ids))
    if filters.due_before is not None:
        query = query.where(Task.act_by < filters.due_before)
    return list((await connection.execute(page(query, SORT_KEY, filters.after, filters.limit))).all())


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> Task | None:
    return await session.get(Task, task_id)


async def locked_task(session: AsyncSession, task_id: uuid.UUID) -> Task:
    """The task, locked for a change until the transaction ends; `NotFound` when there is none.

    Its order's row is locked first, as evaluation locks it before the order's tasks
    (`evaluation.flows.evaluate_orders`): taken in the other order, a completion (which
    evaluates the order) and the worker could each wait for the other's lock."""
    order_id = await session.scalar(select(Task.order_id).where(Task.task_id == task_id))
    if order_id is None:
        raise NotFound(f"no task {str(task_id)!r}")
    await session.execute(select(Order.order_id).where(Order.order_id == order_id).with_for_update())
    task = await session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"no task {str(task_id)!r}")
    return task
