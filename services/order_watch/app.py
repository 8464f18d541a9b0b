"""The order_watch HTTP application: staff API, staff web UI (`/ui`), health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from services.common.clock import Clock, SystemClock
from services.common.db import database, statement_pool
from services.common.health import health_router
from services.common.inputs import refuse_unstorable_input
from services.common.ops import instrument_http
from services.common.problems import install_problem_handlers, problem_response
from services.order_watch.alerts.actions import InvalidTransition
from services.order_watch.alerts.views import PREFIXES as ALERT_PREFIXES
from services.order_watch.alerts.views import router as alerts_router
from services.order_watch.audit.views import router as audit_router
from services.order_watch.auth.views import router as tokens_router
from services.order_watch.escalation.views import router as escalation_router
from services.order_watch.orders.views import router as orders_router
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.tasks.views import router as tasks_router
from services.order_watch.thresholds.views import router as thresholds_router
from services.order_watch.truth.views import router as truth_router
from services.order_watch.web.views import install_web_ui

DESCRIPTION = """Order truth for sales reps; alerts and reshipment tasks for fulfillment.

Every endpoint except health takes `Authorization: Bearer <token>`. Roles: `sales` reads,
`fulfillment` acts on alerts and tasks, `integration` (machine clients) reads and works tasks,
`admin` manages tokens and escalation policies. Errors are `application/problem+json`."""

# Connections for token checks: each holds one for a single short statement (auth.service).
TOKEN_CHECKS = 4


def create_app(settings: OrderWatchSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or OrderWatchSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            database(settings.database_url) as db,
            statement_pool(settings.database_url, max_size=TOKEN_CHECKS) as statements,
        ):
            app.state.engine, app.state.sessions = db.engine, db.sessions
            app.state.statements = statements  # the token check of every request (auth.service)
            yield

    # Swagger UI and ReDoc assets come from the fastapi-offline package: /docs works without internet.
    app = FastAPIOffline(
        title="Order Watch",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_unstorable_input)],
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)

    @app.exception_handler(InvalidTransition)
    async def _conflict(request: Request, exc: InvalidTransition) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), instance=request.url.path, current_status=exc.status)

    for prefix in ALERT_PREFIXES:
        app.include_router(alerts_router, prefix=prefix, include_in_schema=prefix == ALERT_PREFIXES[0])
    routers = (
        truth_router,
        orders_router,
        audit_router,
        tasks_router,
        escalation_router,
        thresholds_router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(tokens_router)
    app.include_router(health_router(settings, lambda: app.state.engine))
    install_web_ui(app, settings)
    instrument_http(app)
    return app
