"""Small pieces every command-line entry point shares: logging, the event loop, uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI

from services.common.lifecycle import run_until_stopped
from services.common.logs import configure_logging
from services.common.ops import Ops, serving_ops
from services.common.settings import ServiceSettings


def serve_http(app: FastAPI, settings: ServiceSettings, host: str, port: int) -> None:
    configure_logging(settings.log_level)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True)


def run_daemon(settings: ServiceSettings, main: Callable[[asyncio.Event], Awaitable[None]], ops: Ops) -> None:
    """Run a long-lived loop until SIGINT/SIGTERM, with its operations port open the whole time."""
    configure_logging(settings.log_level)

    async def with_ops(stop: asyncio.Event) -> None:
        async with serving_ops(settings, ops):
            await main(stop)

    asyncio.run(run_until_stopped(with_ops))
