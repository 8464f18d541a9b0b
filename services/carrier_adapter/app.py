"""The carrier_adapter HTTP application: webhooks plus health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.settings import CarrierAdapterSettings
from services.carrier_adapter.webhooks.group_commit import GroupCommit
from services.carrier_adapter.webhooks.views import router as webhooks_router
from services.common.clock import Clock, SystemClock
from services.common.db import database, statement_pool
from services.common.health import health_router
from services.common.http_metrics import Answered
from services.common.inputs import RefuseNulInRequestLine
from services.common.metrics import WEBHOOK_SECONDS
from services.common.ops import instrument_http
from services.common.problems import install_problem_handlers


def create_app(settings: CarrierAdapterSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or CarrierAdapterSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            database(settings.database_url, pool_size=1) as db,
            statement_pool(settings.database_url, max_size=settings.db_pool_size) as intake,
        ):
            # Webhooks are stored through the plain pool, several to a statement under load
            # (webhooks/group_commit.py); `/readyz` checks through SQLAlchemy's.
            app.state.engine = db.engine
            app.state.intake = GroupCommit(intake, statements=settings.db_pool_size)
            yield

    # Swagger UI and ReDoc assets come from the fastapi-offline package: /docs works without internet.
    app = FastAPIOffline(
        title="Order Watch carrier adapter",
        version="1",
        description="Verifies and normalizes carrier and aggregator tracking webhooks; publishes tracking.v1.",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks look up providers on every request; this service
        # exports Prometheus metrics (README) and configures no OpenTelemetry.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    app.add_middleware(RefuseNulInRequestLine)
    app.include_router(webhooks_router)
    app.include_router(health_router(settings, lambda: app.state.engine))
    instrument_http(app, webhook_latency)
    return app


def webhook_latency(answered: Answered) -> None:
    """`carrier_adapter_webhook_seconds` by source (unknown slugs pooled, so labels stay bounded) and status."""
    if not answered.handler.startswith("/webhooks/"):
        return
    slug = answered.path_params.get("source_slug", "")
    source = slug if slug in all_sources() else "unknown"
    WEBHOOK_SECONDS.labels(source=source, status=str(answered.status)).observe(answered.seconds)
