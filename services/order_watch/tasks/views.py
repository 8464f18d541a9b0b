"""Task routes: list with filters, one task, claim, complete (linking the reship), cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter

from services.common.db import one_statement, transaction
from services.common.problems import Problem
from services.order_watch import cursors
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import Reader, TaskActor
from services.order_watch.tasks import actions, service
from services.order_watch.tasks.schemas import CancelIn, CompleteIn, TaskOut

router = APIRouter(prefix="/tasks", tags=["tasks"])
ACTION_RESPONSES = problems(404, 409, 422)
TASK_LIST = TypeAdapter(list[TaskOut])


@router.get(
    "",
    response_model=list[TaskOut],
    summary="Reshipment tasks matching the filters, earliest act-by first, a page at a time",
    responses={200: {"description": "One page of tasks", "headers": cursors.NEXT_LINK}, **problems(422)},
)
async def list_tasks(
    request: Request,
    _: Reader,
    status: Annotated[
        str | None, Query(description="open, claimed, completed, cancelled or expired", examples=["open"])
    ] = None,
    owner: Annotated[str | None, Query(description="who claimed it (token name)")] = None,
    order_id: Annotated[str | None, Query()] = None,
    due_before: Annotated[datetime | None, Query(description="act-by earlier than this instant")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most tasks in one page")] = 100,
    cursor: Annotated[str | None, Query(description="where the page starts: from the previous page's Link")] = None,
) -> Response:
    statuses = (status,) if status is not None else None
    after = cursors.decode(cursor, service.SORT_KINDS)
    filters = service.TaskFilters(
        statuses=statuses, owner=owner, order_id=order_id, due_before=due_before, limit=limit, after=after
    )
    async with one_statement(request.app.state.engine) as connection:
        tasks = await service.list_tasks(connection, filters)
    return cursors.page_response(request.url, tasks, limit, service.cursor_of, TASK_LIST)


@router.get("/{task_id}", response_model=TaskOut, summary="One reshipment task", responses=problems(404))
async def get_task(task_id: uuid.UUID, request: Request, _: Reader) -> TaskOut:
    async with transaction(request.app.state.sessions) as session:
        task = await service.get_task(session, task_id)
    if task is None:
        raise Problem(404, "Not Found", f"no task {str(task_id)!r}")
    return TaskOut.model_validate(task)


@router.post(
    "/{task_id}/claim", response_model=TaskOut, summary="Claim an open task: you own it now", responses=ACTION_RESPONSES
)
async def claim(task_id: uuid.UUID, request: Request, actor: TaskActor) -> TaskOut:
    async with transaction(request.app.state.sessions) as session:
        task = await service.locked_task(session, task_id)
        actions.claim(session, task, actor, request.app.state.clock.now())
        await session.flush()
        return TaskOut.model_validate(task)


@router.post(
    "/{task_id}/complete",
    response_model=TaskOut,
    summary="Complete a task with the reship's tracking number; the reship is watched from now on",
    responses=ACTION_RESPONSES,
)
async def complete(task_id: uuid.UUID, body: CompleteIn, request: Request, actor: TaskActor) -> TaskOut:
    now = request.app.state.clock.now()
    origin_tz = request.app.state.settings.origin_time_zone
    async with transaction(request.app.state.sessions) as session:
        task = await service.locked_task(session, task_id)
        await actions.complete(session, task, body, actor, now, origin_tz)
        return TaskOut.model_validate(task)


@router.post(
    "/{task_id}/cancel",
    response_model=TaskOut,
    summary="Cancel a live task, with the reason",
    responses=ACTION_RESPONSES,
)
async def cancel(task_id: uuid.UUID, body: CancelIn, request: Request, actor: TaskActor) -> TaskOut:
    async with transaction(request.app.state.sessions) as session:
        task = await service.locked_task(session, task_id)
        actions.cancel(session, task, body.reason, actor, request.app.state.clock.now())
        await session.flush()
        return TaskOut.model_validate(task)
