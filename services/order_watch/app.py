"""The order_watch HTTP application: staff API, health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.clock import Clock, SystemClock
from services.common.db import make_engine, make_session_factory
from services.common.health import health_router
from services.common.problems import install_problem_handlers
from services.order_watch.orders.views import router as orders_router
from services.order_watch.settings import OrderWatchSettings


def create_app(settings: OrderWatchSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or OrderWatchSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(settings.database_url)
        app.state.sessions = make_session_factory(app.state.engine)
        yield
        await app.state.engine.dispose()

    app = FastAPI(
        title="Order Watch",
        version="1",
        description="Order truth for sales reps; alerts and reshipment tasks for fulfillment.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    app.include_router(orders_router)
    app.include_router(health_router(settings, lambda: app.state.engine))
    return app
