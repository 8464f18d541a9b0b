"""HTTP request metrics of the two HTTP services, as one plain ASGI middleware.

The series are prometheus-fastapi-instrumentator's default set, by the same names, labels and
buckets (README, "Metrics"): `http_requests_total` (method, status class, handler),
`http_request_size_bytes` and `http_response_size_bytes` (handler, from Content-Length),
`http_request_duration_seconds` (method, handler) and `http_request_duration_highr_seconds`. The
handler is the route template, found by that package's own resolver. What is left out is the
instrumentator's per-request machinery around them — a Request and a Response object, an Info
record, a label lookup per series — which cost a no-op request about as much as the rest of the
app (`bench/intake.py`'s /healthz: 0.28 ms CPU with it, 0.14 ms without).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from prometheus_client import Counter, Histogram, Summary
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "http_requests_total", "Total number of requests by method, status and handler.", ["method", "status", "handler"]
)
REQUEST_SIZE = Summary(
    "http_request_size_bytes",
    "Content length of incoming requests by handler. Only value of header is respected. Otherwise ignored. "
    "No percentile calculated. ",
    ["handler"],
)
RESPONSE_SIZE = Summary(
    "http_response_size_bytes",
    "Content length of outgoing responses by handler. Only value of header is respected. Otherwise ignored. "
    "No percentile calculated. ",
    ["handler"],
)
LATENCY_HIGHR = Histogram(
    "http_request_duration_highr_seconds",
    "Latency with many buckets but no API specific labels. Made for more accurate percentile calculations. ",
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60),
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Latency with only few buckets by handler. Made to be only used if aggregation by handler is important. ",
    ["method", "handler"],
    buckets=(0.1, 0.5, 1),
)


MAX_PATHS_REMEMBERED = 4096


@dataclass(frozen=True)
class Answered:
    """One request as the metrics see it: its route template, path parameters, status and duration."""

    handler: str
    path_params: dict[str, Any]
    status: int
    seconds: float


Instrumentation = Callable[[Answered], None]


class _Series:
    """The labelled children of one handler and method, looked up once (a lookup takes a lock)."""

    def __init__(self, method: str, handler: str) -> None:
        self.method, self.handler = method, handler
        self.request_size = REQUEST_SIZE.labels(handler)
        self.response_size = RESPONSE_SIZE.labels(handler)
        self.latency = LATENCY.labels(method, handler)
        self.requests: dict[int, Any] = {}

    def count(self, status: int) -> None:
        counter = self.requests.get(status)
        if counter is None:
            counter = self.requests[status] = REQUESTS.labels(self.method, f"{str(status)[0]}xx", self.handler)
        counter.inc()


class HttpMetrics:
    """Observes every HTTP request but those to `excluded` handlers, then calls each `extra`."""

    def __init__(
        self, app: ASGIApp, *, extra: Collection[Instrumentation] = (), excluded: Collection[str] = ("/metrics",)
    ) -> None:
        self.app = app
        self.extra = tuple(extra)
        self.excluded = frozenset(excluded)
        # Bounded: handlers are route templates (or "none") and methods the routes accept.
        self._series: dict[tuple[str, str], _Series] = {}
        # The template of each path seen lately: resolving it tries the app's routes one by one, as
        # the router does again after us.
        self._handlers: dict[tuple[str, str, str], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        handler = self._handler(scope)
        status, response_size = 500, 0

        async def watched(message: Message) -> None:
            nonlocal status, response_size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-length":
                        response_size = int(value)
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            if handler not in self.excluded:
                self._observe(scope, handler, status, response_size, perf_counter() - started)

    def _handler(self, scope: Scope) -> str:
        path = (scope["method"], scope.get("root_path", ""), scope["path"])
        handler = self._handlers.get(path)
        if handler is None:
            if len(self._handlers) >= MAX_PATHS_REMEMBERED:
                self._handlers.clear()  # paths with ids in them are endless; templates are few
            handler = get_route_name(HTTPConnection(scope), should_include_root_path=False) or "none"
            self._handlers[path] = handler
        return handler

    def _observe(self, scope: Scope, handler: str, status: int, response_size: int, seconds: float) -> None:
        method = scope["method"]
        series = self._series.get((method, handler))
        if series is None:
            series = self._series[(method, handler)] = _Series(method, handler)
        series.count(status)
        series.request_size.observe(_content_length(scope))
        series.response_size.observe(response_size)
        series.latency.observe(seconds)
        LATENCY_HIGHR.observe(seconds)
        if self.extra:
            answered = Answered(handler, scope.get("path_params", {}), status, seconds)
            for instrumentation in self.extra:
                instrumentation(answered)


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
