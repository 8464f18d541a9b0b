"""`/healthz` (the process is up), `/readyz` (database and broker reachable, no loop waiting out
an outage: `retry.STALLS`), `/metrics`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import database_reachable
from services.common.retry import STALLS
from services.common.settings import ServiceSettings


async def broker_reachable(settings: ServiceSettings, timeout: float = 2.0) -> bool:
    """Open a TCP connection to the first reachable bootstrap server."""
    for address in settings.kafka_bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), timeout)
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        return True
    return False


def health_router(settings: ServiceSettings, engine: Callable[[], AsyncEngine]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        summary="Liveness: the process answers",
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: database and broker reachable",
        responses={
            200: {
                "content": {
                    "application/json": {"example": {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}}
                }
            },
            503: {
                "description": "Not ready",
                "content": {
                    "application/json": {
                        "example": {"status": "not ready", "checks": {"database": "ok", "broker": "down"}}
                    }
                },
            },
        },
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, Awaitable[bool]] = {
            "database": database_reachable(engine()),
            "broker": broker_reachable(settings),
        }
        results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
        stalled = STALLS.active()
        ready = all(results.values()) and not stalled
        body: dict[str, object] = {
            "status": "ready" if ready else "not ready",
            "checks": {k: "ok" if v else "down" for k, v in results.items()},
        }
        if stalled:
            body["stalled"] = stalled
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"example": "order_watch_batch_seconds_count 42.0\n"}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
