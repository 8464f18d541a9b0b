"""Staff web UI pages: sign-in, the alerts and tasks boards, an order's truth, search.

Served by order_watch under `/ui` (`/` leads there). Reads go through the same services and the
same truth builder as the staff API; each route owns its transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.common.db import snapshot, transaction
from services.order_watch.audit.models import AuditEntry
from services.order_watch.auth.service import active_token
from services.order_watch.orders import service as orders
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.truth import service as truth_service
from services.order_watch.truth.views import truth_from, truth_of
from services.order_watch.web import forms, stream
from services.order_watch.web.boards import DUE_CHOICES, SEVERITIES, TEAMS, AlertBoard, Board, TaskBoard
from services.order_watch.web.pages import HERE, render
from services.order_watch.web.session import (
    UI_HOME,
    FormPoster,
    SignedIn,
    SignInRequired,
    Viewer,
    end_session,
    keep_sign_in_nonce,
    safe_next,
    sign_in_binding,
    sign_in_csrf_valid,
    start_session,
    ui_secret,
    viewer_of,
)

router = APIRouter(include_in_schema=False)
SEARCH_LIMIT = 20


def install_web_ui(app: FastAPI, settings: OrderWatchSettings) -> None:
    """Serve the staff web UI from `app`: pages, form posts, the live stream and static files."""
    app.state.ui_secret = ui_secret(settings)
    for ui_router in (router, forms.router, stream.router):
        app.include_router(ui_router)
    app.mount("/ui/static", StaticFiles(directory=Path(HERE) / "static"), name="ui-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        response = RedirectResponse(f"/ui/sign-in?next={quote(exc.next_path)}", status_code=303)
        end_session(response, request)
        return response


@router.get("/")
@router.get("/ui")
@router.get("/ui/")
async def home() -> RedirectResponse:
    return RedirectResponse(UI_HOME, status_code=303)


def _sign_in_page(request: Request, next_path: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    nonce, csrf = sign_in_binding(request)
    response = render(
        request, None, "sign_in.html", status_code, title="Sign in", next=next_path, error=error, csrf=csrf
    )
    keep_sign_in_nonce(response, request, nonce)
    return response


@router.get("/ui/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    if await viewer_of(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, safe_next(next))


@router.post("/ui/sign-in")
async def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = UI_HOME,
) -> Response:
    """Check the pasted token; on success keep it in the session cookie."""
    if not sign_in_csrf_valid(request, csrf):
        return _sign_in_page(request, safe_next(next), "The form expired; please sign in again.", 403)
    found = await active_token(request.app.state.statements, token.strip())
    if found is None:
        return _sign_in_page(request, safe_next(next), "That token is unknown or has been revoked.", 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(response, request, token.strip())
    return response


@router.post("/ui/sign-out")
async def sign_out(request: Request, _: FormPoster) -> RedirectResponse:
    response = RedirectResponse("/ui/sign-in", status_code=303)
    end_session(response, request)
    return response


async def _board_page(request: Request, viewer: Viewer, board: Board, name: str, **context: Any) -> HTMLResponse:
    now = request.app.state.clock.now()
    async with transaction(request.app.state.sessions) as session:
        since = await stream.latest_audit_id(session)
        rows = await board.rows(session, now)
    stream_url = f"/ui/stream/{name}?" + "&".join(part for part in (board.query(), f"since={since}") if part)
    return render(
        request,
        viewer,
        f"{name}.html",
        title=name.capitalize(),
        section=name,
        board=board,
        rows=rows,
        back=board.url(),
        stream_url=stream_url,
        due_choices=DUE_CHOICES,
        **context,
    )


@router.get("/ui/cases")
async def alerts_board(request: Request, viewer: SignedIn) -> HTMLResponse:
    board = AlertBoard.from_query(request.query_params)
    return await _board_page(request, viewer, board, "alerts", severities=SEVERITIES, teams=TEAMS)


@router.get("/ui/alerts", include_in_schema=False)
async def former_cases_board(request: Request) -> RedirectResponse:
    """The cases board's former address: bookmarks and links in old notifications keep working."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/ui/cases{query}", status_code=308)


@router.get("/ui/tasks")
async def tasks_board(request: Request, viewer: SignedIn) -> HTMLResponse:
    return await _board_page(request, viewer, TaskBoard.from_query(request.query_params), "tasks")


def describe_change(entry: AuditEntry) -> str:
    """One line for the audit trail: a note's text, or the fields that changed."""
    after, before = entry.after or {}, entry.before or {}
    if "note" in after:
        return str(after["note"])
    if entry.before is None:
        return str(after.get("summary") or after.get("reason") or after.get("name") or "")
    changed = [name for name in after if name != "evidence" and before.get(name) != after.get(name)]
    parts = [f"{name}: {before.get(name) or '—'} → {after.get(name) or '—'}" for name in changed]
    if before and after.get("evidence") != before.get("evidence"):
        parts.append("evidence updated")
    return "; ".join(parts)


@router.get("/ui/orders/{order_id}")
async def order_page(order_id: str, request: Request, viewer: SignedIn) -> HTMLResponse:
    settings = request.app.state.settings
    async with snapshot(request.app.state.sessions) as session:
        records = await truth_service.load_records(session, order_id)
        if records is None:
            return render(request, viewer, "not_found.html", 404, title="No such order", order_id=order_id)
        truth = truth_from(records, request.app.state.clock.now(), settings.origin_time_zone)
    audit = [(entry, describe_change(entry)) for entry in records.audit]
    return render(request, viewer, "order.html", title=f"Order {order_id}", truth=truth, audit=audit)


async def _found(request: Request, query: str) -> list[str]:
    """Orders matching the search: the order id itself, else a tracking number, else a customer id."""
    async with transaction(request.app.state.sessions) as session:
        if await orders.get_order(session, query) is not None:
            return [query]
        for field in ("tracking_number", "customer_id"):
            lookup = {"tracking_number": None, "customer_id": None, field: query}
            found = await truth_service.find_orders(session, **lookup, limit=SEARCH_LIMIT)
            if found:
                return found
    return []


@router.get("/ui/search")
async def search(request: Request, viewer: SignedIn, q: str = "") -> Response:
    query = q.strip()[:100]
    found = await _found(request, query) if query else []
    if len(found) == 1 and found[0] == query:
        return RedirectResponse(f"/ui/orders/{quote(query, safe='')}", status_code=303)
    now = request.app.state.clock.now()
    async with snapshot(request.app.state.sessions) as session:
        truths = [
            await truth_of(session, order_id, now, request.app.state.settings.origin_time_zone) for order_id in found
        ]
    results = [truth for truth in truths if truth is not None]
    return render(request, viewer, "search.html", title="Search", section="search", q=query, results=results)
