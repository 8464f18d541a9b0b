"""What people do from the boards: form posts that call the same actions as the staff API.

Each post needs a session, its CSRF token and a role that may act (403 otherwise); the route
owns the transaction, the action audits the person as actor. The answer is a redirect back to
the board with a one-time notice; a transition the current status does not allow is a notice too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import transaction
from services.order_watch.alerts import actions as alert_actions
from services.order_watch.alerts import service as alerts
from services.order_watch.alerts.actions import InvalidTransition
from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.schemas import AssignIn, NoteIn, ResolveIn
from services.order_watch.tasks import actions as task_actions
from services.order_watch.tasks import service as tasks
from services.order_watch.tasks.models import Task
from services.order_watch.tasks.schemas import CompleteIn
from services.order_watch.web.session import AlertActing, TaskActing, leave_notice, safe_next

router = APIRouter(include_in_schema=False)
Back = Annotated[str, Form(max_length=2000)]
Lock = Callable[[AsyncSession, uuid.UUID], Awaitable[Any]]


async def _act(
    request: Request,
    lock: Lock,
    key: uuid.UUID,
    back: str,
    work: Callable[[AsyncSession, Any, datetime], Awaitable[None]],
    done: str,
) -> RedirectResponse:
    """Lock the row, apply the person's action, commit; back to the board with what happened."""
    now = request.app.state.clock.now()
    try:
        async with transaction(request.app.state.sessions) as session:
            row = await lock(session, key)
            await work(session, row, now)
            notice = f"{done}: order {row.order_id}."
    except InvalidTransition as exc:
        notice = f"Not done: {exc}."
    response = RedirectResponse(back, status_code=303)
    leave_notice(response, request, notice)
    return response


@router.post("/ui/cases/{alert_id}/ack")
async def acknowledge(alert_id: uuid.UUID, request: Request, viewer: AlertActing, back: Back = "") -> RedirectResponse:
    async def work(session: AsyncSession, alert: Alert, now: datetime) -> None:
        alert_actions.acknowledge(session, alert, viewer.actor, now)

    return await _act(request, alerts.locked_alert, alert_id, safe_next(back, "/ui/cases"), work, "Acknowledged")


@router.post("/ui/cases/{alert_id}/assign")
async def assign(
    alert_id: uuid.UUID, request: Request, viewer: AlertActing, body: Annotated[AssignIn, Form()], back: Back = ""
) -> RedirectResponse:
    async def work(session: AsyncSession, alert: Alert, now: datetime) -> None:
        alert_actions.assign(session, alert, body.owner, viewer.actor, now)

    return await _act(
        request, alerts.locked_alert, alert_id, safe_next(back, "/ui/cases"), work, f"Assigned to {body.owner}"
    )


@router.post("/ui/cases/{alert_id}/note")
async def note(
    alert_id: uuid.UUID, request: Request, viewer: AlertActing, body: Annotated[NoteIn, Form()], back: Back = ""
) -> RedirectResponse:
    async def work(session: AsyncSession, alert: Alert, now: datetime) -> None:
        alert_actions.note(session, alert, body.text, viewer.actor, now)

    return await _act(request, alerts.locked_alert, alert_id, safe_next(back, "/ui/cases"), work, "Note added")


@router.post("/ui/cases/{alert_id}/resolve")
async def resolve(
    alert_id: uuid.UUID, request: Request, viewer: AlertActing, body: Annotated[ResolveIn, Form()], back: Back = ""
) -> RedirectResponse:
    async def work(session: AsyncSession, alert: Alert, now: datetime) -> None:
        alert_actions.resolve(session, alert, body.resolution, body.note or None, viewer.actor, now)

    return await _act(request, alerts.locked_alert, alert_id, safe_next(back, "/ui/cases"), work, "Resolved")


@router.post("/ui/tasks/{task_id}/claim")
async def claim(task_id: uuid.UUID, request: Request, viewer: TaskActing, back: Back = "") -> RedirectResponse:
    async def work(session: AsyncSession, task: Task, now: datetime) -> None:
        task_actions.claim(session, task, viewer.actor, now)

    return await _act(request, tasks.locked_task, task_id, safe_next(back, "/ui/tasks"), work, "Claimed")


@router.post("/ui/tasks/{task_id}/complete")
async def complete(
    task_id: uuid.UUID, request: Request, viewer: TaskActing, body: Annotated[CompleteIn, Form()], back: Back = ""
) -> RedirectResponse:
    origin_tz = request.app.state.settings.origin_time_zone

    async def work(session: AsyncSession, task: Task, now: datetime) -> None:
        await task_actions.complete(session, task, body, viewer.actor, now, origin_tz)

    notice = f"Completed with tracking number {body.tracking_number}"
    return await _act(request, tasks.locked_task, task_id, safe_next(back, "/ui/tasks"), work, notice)
