"""How a UI page is answered: the Jinja2 templates, filters for times and facts, security headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.common.clock import wall_clock
from services.order_watch.alerts.schemas import Resolution
from services.order_watch.reconcile.engine import RULES_BY_NAME
from services.order_watch.web.session import Viewer, forget_notice, notice_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Everything the page needs comes from this origin; no inline script or style.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(instant: dt.datetime | str | None, zone: str) -> str:
    """ "Thu Nov 19, 17:00 CST": an instant in `zone` (the warehouse's, or the customer's for deliveries)."""
    if instant is None:
        return "—"
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
    return wall_clock(instant, zone)


def when_exactly(instant: dt.datetime | None, zone: str) -> str:
    """ "Thu Nov 19, 17:00:05 CST": to the second, for timelines (a story must not read
    "12:33, 12:33, 12:33")."""
    return "—" if instant is None else wall_clock(instant, zone, seconds=True)


def as_instant(value: Any) -> dt.datetime | None:
    """A fact's value as an instant, when it is one (facts carry times as ISO strings or datetimes)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def fact_value(value: Any, zone: str) -> str:
    instant = as_instant(value)
    if instant is not None:
        return when(instant, zone)
    return "—" if value is None else words(str(value))


def words(code: str) -> str:
    """ "service_downgrade" → "service downgrade"; "NEXT_DAY" → "next day"."""
    return code.replace("_", " ").lower()


def escalated(level: int) -> str:
    """ "escalated once", "escalated twice", "escalated 3 times"."""
    return {1: "escalated once", 2: "escalated twice"}.get(level, f"escalated {level} times")


templates.env.filters.update(
    when=when, when_exactly=when_exactly, fact_value=fact_value, words=words, escalated=escalated
)
templates.env.globals.update(RESOLUTIONS=[resolution.value for resolution in Resolution], RULES=sorted(RULES_BY_NAME))


def page_context(request: Request, viewer: Viewer | None, **context: Any) -> dict[str, Any]:
    """What every template may use: the viewer, the warehouse time zone, and the server's now (countdowns)."""
    settings = request.app.state.settings
    return {"viewer": viewer, "tz": settings.origin_time_zone, "now": request.app.state.clock.now(), **context}


def render(request: Request, viewer: Viewer | None, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the viewer, time zone and any one-time notice; security headers set."""
    notice = notice_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        page_context(request, viewer, notice=notice, **context),
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )
    if notice is not None:
        forget_notice(response, request)
    return response


def render_fragment(request: Request, viewer: Viewer, name: str, **context: Any) -> str:
    """A piece of a page (a board row) as HTML, for the live stream."""
    return templates.get_template(name).render(page_context(request, viewer, **context))
