"""RFC 9457 problem details: every error a client can cause gets a clear, typed answer."""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.db import NotFound
from services.common.retry import describe, is_transient

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER = "5"  # seconds a client should wait when the database or broker is unavailable
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger(__name__)


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Map our Problem, a missing row, HTTP errors, validation errors and anything unexpected to problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem_response(404, "Not Found", str(exc), instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not Found", 405: "Method Not Allowed", 401: "Unauthorized", 403: "Forbidden"}.get(
            exc.status_code, "HTTP error"
        )
        return problem_response(
            exc.status_code, title, str(exc.detail), instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]} for error in exc.errors()
        ]
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        return problem_response(422, "Unprocessable Content", detail, instance=request.url.path, errors=errors)

    app.add_middleware(UnhandledErrors)


class UnhandledErrors:
    """The last answer for an error no route handled, in problem+json, on a connection kept open.

    An outage (database or broker unavailable) is 503 with Retry-After: the same request will
    succeed later. Anything else is our fault, 500: retrying will not help. Either way one log
    line with a correlation id that the response also carries, instead of a stack per request.
    (A plain ASGI middleware rather than `exception_handler(Exception)`, which Starlette answers
    and then re-raises to the server, logging the stack again.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise  # too late for an answer of ours; the server closes the response
            await unexpected_response(Request(scope), exc)(scope, receive, send)


def unexpected_response(request: Request, exc: Exception) -> JSONResponse:
    given = request.headers.get("x-request-id", "")
    correlation_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}" if frame else "?"
    headers = {"x-request-id": correlation_id}
    if is_transient(exc):
        log.warning(
            "request failed, dependency unavailable: %s (correlation id %s)",
            describe(exc),
            correlation_id,
            extra={"path": request.url.path, "correlation_id": correlation_id},
        )
        return problem_response(
            503,
            "Service Unavailable",
            "the database or broker is unavailable; retry later",
            instance=request.url.path,
            headers={**headers, "retry-after": RETRY_AFTER},
            correlation_id=correlation_id,
        )
    log.error(
        "unhandled error %s at %s (correlation id %s)",
        describe(exc),
        where,
        correlation_id,
        extra={"path": request.url.path, "correlation_id": correlation_id},
    )
    return problem_response(
        500,
        "Internal Server Error",
        f"an internal error; quote {correlation_id} when reporting it",
        instance=request.url.path,
        headers=headers,
        correlation_id=correlation_id,
    )
