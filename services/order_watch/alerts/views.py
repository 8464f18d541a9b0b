"""Alert routes: list with filters, one alert with its history and notes, and what people do to it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import one_statement, transaction
from services.common.problems import Problem
from services.order_watch import cursors
from services.order_watch.alerts import actions, service
from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.schemas import (
    AlertChangeOut,
    AlertDetail,
    AlertOut,
    AssignIn,
    NoteIn,
    NoteOut,
    ReopenIn,
    ResolveIn,
)
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import AlertActor, Reader

# Served at /cases (its name: the case for one order problem) and, for clients written before
# cases, at /alerts with the same answers (README: Staff API).
router = APIRouter(tags=["cases"])
PREFIXES = ("/cases", "/alerts")
ACTION_RESPONSES = problems(404, 409, 422)
ALERT_LIST = TypeAdapter(list[AlertOut])


async def _act(request: Request, alert_id: uuid.UUID, action: Callable[[AsyncSession, Alert], None]) -> AlertOut:
    """Lock the alert, apply a person's action, commit; the transaction belongs to this request."""
    async with transaction(request.app.state.sessions) as session:
        alert = await service.locked_alert(session, alert_id)
        action(session, alert)
        await session.flush()
        return AlertOut.model_validate(alert)


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()


@router.get(
    "",
    response_model=list[AlertOut],
    summary="Cases matching the filters, unowned first, then by last chance, severity and priority; a page at a time",
    responses={200: {"description": "One page of cases", "headers": cursors.NEXT_LINK}, **problems(422)},
)
async def list_alerts(
    request: Request,
    _: Reader,
    status: Annotated[
        str | None, Query(description="open, acknowledged, recovering or resolved", examples=["open"])
    ] = None,
    severity: Annotated[str | None, Query(description="info, warning or critical")] = None,
    rule: Annotated[str | None, Query(description="e.g. service_downgrade")] = None,
    owner: Annotated[str | None, Query(description="who owns it (token name)")] = None,
    team: Annotated[str | None, Query(description="fulfillment, carrier_ops or customer_care")] = None,
    due_before: Annotated[datetime | None, Query(description="act-by earlier than this instant")] = None,
    order_id: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most cases in one page")] = 100,
    cursor: Annotated[str | None, Query(description="where the page starts: from the previous page's Link")] = None,
) -> Response:
    statuses = (status,) if status is not None else None
    filters = service.AlertFilters(
        statuses=statuses,
        severity=severity,
        rule=rule,
        owner=owner,
        team=team,
        due_before=due_before,
        order_id=order_id,
        limit=limit,
        after=cursors.decode(cursor, service.SORT_KINDS),
    )
    async with one_statement(request.app.state.engine) as connection:
        alerts = await service.list_alerts(connection, filters)
    return cursors.page_response(request.url, alerts, limit, service.cursor_of, ALERT_LIST)


@router.get(
    "/{alert_id}", response_model=AlertDetail, summary="One case with its history and notes", responses=problems(404)
)
async def get_alert(alert_id: uuid.UUID, request: Request, _: Reader) -> AlertDetail:
    async with transaction(request.app.state.sessions) as session:
        alert = await service.get_alert(session, alert_id)
        if alert is None:
            raise Problem(404, "Not Found", f"no case {str(alert_id)!r}")
        history = await service.history_of(session, alert_id)
        notes = await service.notes_of(session, alert_id)
    changes = [AlertChangeOut.model_validate(change) for change in history]
    written = [NoteOut(at=entry.at, actor=entry.actor, text=(entry.after or {}).get("note", "")) for entry in notes]
    return AlertDetail.model_validate(alert).model_copy(update={"history": changes, "notes": written})


@router.post(
    "/{alert_id}/ack",
    response_model=AlertOut,
    summary="Acknowledge an open case and take ownership",
    responses=ACTION_RESPONSES,
)
async def acknowledge(alert_id: uuid.UUID, request: Request, actor: AlertActor) -> AlertOut:
    now = _now(request)
    return await _act(request, alert_id, lambda session, alert: actions.acknowledge(session, alert, actor, now))


@router.post(
    "/{alert_id}/assign",
    response_model=AlertOut,
    summary="Give an unresolved case to an owner",
    responses=ACTION_RESPONSES,
)
async def assign(alert_id: uuid.UUID, body: AssignIn, request: Request, actor: AlertActor) -> AlertOut:
    now = _now(request)
    return await _act(request, alert_id, lambda session, alert: actions.assign(session, alert, body.owner, actor, now))


@router.post(
    "/{alert_id}/notes",
    response_model=AlertOut,
    status_code=201,
    summary="Write down what was said or promised (kept in the audit trail)",
    responses=ACTION_RESPONSES,
)
async def add_note(alert_id: uuid.UUID, body: NoteIn, request: Request, actor: AlertActor) -> AlertOut:
    now = _now(request)
    return await _act(request, alert_id, lambda session, alert: actions.note(session, alert, body.text, actor, now))


@router.post(
    "/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve a case with a resolution code",
    responses=ACTION_RESPONSES,
)
async def resolve(alert_id: uuid.UUID, body: ResolveIn, request: Request, actor: AlertActor) -> AlertOut:
    now = _now(request)

    def act(session: AsyncSession, alert: Alert) -> None:
        actions.resolve(session, alert, body.resolution, body.note, actor, now)

    return await _act(request, alert_id, act)


@router.post(
    "/{alert_id}/reopen", response_model=AlertOut, summary="Reopen a resolved case", responses=ACTION_RESPONSES
)
async def reopen(alert_id: uuid.UUID, body: ReopenIn, request: Request, actor: AlertActor) -> AlertOut:
    now = _now(request)
    return await _act(request, alert_id, lambda session, alert: actions.reopen(session, alert, body.reason, actor, now))
