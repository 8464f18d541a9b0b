"""Input PostgreSQL would refuse, refused first with the name of the field (ARCHITECTURE §5.8).

PostgreSQL cannot store a NUL character in text or JSONB. A sender who puts one in a field can
only fix it by changing what they send, so it is a 4xx naming that field — never a database
error answered "retry later". Limits on lengths live in the contract models (they are in the
OpenAPI); this module covers what a type cannot say: a NUL anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.problems import Problem, problem_response

NUL = "\x00"
NUL_ESCAPE = b"\\u0000"  # the only way JSON can spell a NUL inside a string


def nul_path(value: Any, path: str) -> str | None:
    """The dotted path of the first key or string holding a NUL, or None (iterative, so any depth)."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, str):
            if NUL in current:
                return where
        elif isinstance(current, dict):
            for key, item in current.items():
                if NUL in key:
                    return where
                pending.append((item, f"{where}.{key}"))
        elif isinstance(current, list):
            pending.extend((item, f"{where}[{index}]") for index, item in enumerate(current))
    return None


def refuse_nul_in_json(raw: bytes, field: str = "body") -> None:
    """A JSON body holding a NUL in any key or string: `Problem` 422 naming where.

    Only a body that spells the escape is parsed here, so the check costs one byte search.
    """
    if NUL_ESCAPE not in raw:
        return
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return  # not JSON we can read: the route's own parser names the problem
    where = nul_path(document, field)
    if where is not None:
        raise Problem(422, "Unprocessable Content", f"{where}: contains a NUL character (\\u0000)", field=where)


def refuse_nul_in_parameters(path: str, query: list[tuple[str, str]]) -> None:
    """A NUL in the path or a query parameter: `Problem` 400 naming it."""
    if NUL in path:
        raise Problem(400, "Bad Request", "path: contains a NUL character (%00)", field="path")
    for name, value in query:
        if NUL in name or NUL in value:
            field = f"query.{name.replace(NUL, '')}"
            raise Problem(400, "Bad Request", f"{field}: contains a NUL character (%00)", field=field)


async def refuse_nul_in_request_line(request: Request) -> None:
    """App-wide dependency: no NUL in the path or any query parameter."""
    if _may_hold_nul(request.scope):
        refuse_nul_in_parameters(request.url.path, list(request.query_params.multi_items()))


def _may_hold_nul(scope: Scope) -> bool:
    """Two searches of what the server already parsed: a query can only carry a NUL spelt `%00`
    (a raw one is refused by the HTTP parser); only then are the parameters decoded."""
    query = scope.get("query_string", b"")
    return NUL in scope["path"] or b"%00" in query or b"\x00" in query


class RefuseNulInRequestLine:
    """`refuse_nul_in_request_line` as plain ASGI middleware, for an app with no other app-wide
    dependency: FastAPI's dependency resolution on every request cost more than the check."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _may_hold_nul(scope):
            request = Request(scope)
            try:
                refuse_nul_in_parameters(request.url.path, list(request.query_params.multi_items()))
            except Problem as problem:
                response = problem_response(
                    problem.status, problem.title, problem.detail, instance=request.url.path, **problem.extra
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def refuse_unstorable_input(request: Request) -> None:
    """App-wide dependency for the staff API and UI: no NUL in path, query, JSON or form body."""
    await refuse_nul_in_request_line(request)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        refuse_nul_in_json(await request.body())
    elif media_type == "application/x-www-form-urlencoded":
        form = await request.form()  # parsed once and kept; the route reads the same
        for name, value in form.multi_items():
            if NUL in name or (isinstance(value, str) and NUL in value):
                field = f"form.{name.replace(NUL, '')}"
                raise Problem(400, "Bad Request", f"{field}: contains a NUL character (%00)", field=field)
