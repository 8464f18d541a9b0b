"""Live boards: a server-sent event stream of board rows as alerts and tasks change.

Every change to an alert or task is an audit entry, so the stream follows the audit table by
increasing id (about once a second) and sends each changed row, rendered exactly as the page
renders it, or an empty row when it no longer belongs on the board. Ids are handed out before
commit, so a lower id can appear after a higher one: the `Cursor` remembers what it sent above
its low-water mark and waits a little for gaps before skipping them (a rolled-back insert).
The event id is the low-water mark, so a reconnecting browser (`Last-Event-ID`) misses nothing.
Comments keep the connection alive; the stream ends when the browser leaves, when the session
is revoked (`signed-out` event), or after `ui_stream_max_seconds` (the browser reconnects).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import transaction
from services.common.problems import Problem
from services.order_watch.audit.models import AuditEntry
from services.order_watch.auth.service import active_token
from services.order_watch.web.boards import BOARDS, Board
from services.order_watch.web.pages import render_fragment
from services.order_watch.web.session import SESSION_COOKIE, Viewer, viewer_of

router = APIRouter(include_in_schema=False)
BATCH = 200
GAP_SECONDS = 10.0
RETRY_MS = 3000


@dataclass
class Cursor:
    """Which audit entries were handled: every id up to `low`, and `sent` above it."""

    low: int
    sent: set[int] = field(default_factory=set)
    gap_since: float | None = None

    def take(self, ids: list[int], now: float, gap_seconds: float = GAP_SECONDS) -> list[int]:
        """The ids not handled yet (all above `low`); moves `low` up past what is done."""
        fresh = [entry_id for entry_id in ids if entry_id > self.low and entry_id not in self.sent]
        self.sent.update(fresh)
        self._advance(now, gap_seconds)
        return fresh

    def _advance(self, now: float, gap_seconds: float) -> None:
        while self.sent:
            if self.low + 1 in self.sent:
                self.sent.discard(self.low + 1)
                self.low += 1
                self.gap_since = None
            elif self.gap_since is not None and now - self.gap_since >= gap_seconds:
                self.low = min(self.sent) - 1  # nothing came for the gap: it was rolled back
                self.gap_since = None
            else:
                self.gap_since = self.gap_since if self.gap_since is not None else now
                return


async def latest_audit_id(session: AsyncSession) -> int:
    """Where a board rendered now starts following changes."""
    return int(await session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0)


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


async def _changed(session: AsyncSession, board: Board, cursor: Cursor) -> list[str]:
    """Keys of rows changed since the cursor, in the order of their latest change."""
    rows = await session.execute(
        select(AuditEntry.id, AuditEntry.entity_id)
        .where(AuditEntry.entity == board.ENTITY, AuditEntry.id > cursor.low)
        .order_by(AuditEntry.id)
        .limit(BATCH)
    )
    entries = list(rows)
    fresh = set(cursor.take([entry_id for entry_id, _ in entries], time.monotonic()))
    return list(dict.fromkeys(key for entry_id, key in entries if entry_id in fresh))


def _row_event(request: Request, viewer: Viewer, board: Board, row: Any, shown: bool, low: int) -> str:
    html = render_fragment(request, viewer, board.ROW_TEMPLATE, row=row, board=board, back=board.url())
    data = {"dom_id": board.dom_id(row), "html": html if shown else "", "announce": board.headline(row)}
    return sse("row", data, low)


async def _tick(request: Request, viewer: Viewer, board: Board, cursor: Cursor) -> list[str] | None:
    """One look at what changed: the events to send, or None when the session is no longer valid."""
    now = request.app.state.clock.now()
    if await active_token(request.app.state.statements, request.cookies.get(SESSION_COOKIE, "")) is None:
        return None
    async with transaction(request.app.state.sessions) as session:
        keys = await _changed(session, board, cursor)
        rows = await board.changed(session, keys, now) if keys else {}
    return [_row_event(request, viewer, board, *rows[key], cursor.low) for key in keys if key in rows]


async def _events(request: Request, viewer: Viewer, board: Board, cursor: Cursor) -> AsyncIterator[str]:
    settings = request.app.state.settings
    started = last_sent = time.monotonic()
    yield f"retry: {RETRY_MS}\n\n"
    while time.monotonic() - started < settings.ui_stream_max_seconds and not await request.is_disconnected():
        events = await _tick(request, viewer, board, cursor)
        if events is None:
            yield sse("signed-out", {})
            return
        for event in events:
            yield event
            last_sent = time.monotonic()
        if time.monotonic() - last_sent >= settings.ui_heartbeat_seconds:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(settings.ui_poll_seconds)


async def _start(request: Request, since: int | None, last_event_id: str | None) -> Cursor:
    if last_event_id is not None and last_event_id.isdigit():
        return Cursor(int(last_event_id))
    if since is not None:
        return Cursor(since)
    async with transaction(request.app.state.sessions) as session:
        return Cursor(await latest_audit_id(session))


@router.get("/ui/stream/{board_name}")
async def stream(
    board_name: str,
    request: Request,
    since: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The live rows of the alerts or tasks board, filtered as the page's query string says."""
    if board_name not in BOARDS:
        raise Problem(404, "Not Found", f"no board {board_name!r}")
    viewer = await viewer_of(request)
    if viewer is None:
        raise Problem(401, "Unauthorized", "sign in first")
    board = BOARDS[board_name].from_query(request.query_params)
    cursor = await _start(request, since, last_event_id)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request, viewer, board, cursor), media_type="text/event-stream", headers=headers)
