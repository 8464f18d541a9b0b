"""The whole system in the test's event loop: both HTTP apps on real ports, worker, relays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.carrier_adapter.app import create_app as create_adapter_app
from services.carrier_adapter.settings import CarrierAdapterSettings
from services.carrier_adapter.webhooks.models import OutboxMessage as AdapterOutbox
from services.common.clock import Clock, SystemClock
from services.common.db import transaction
from services.common.kafka import ensure_topics
from services.common.outbox import run_relay
from services.order_watch.app import create_app as create_order_watch_app
from services.order_watch.auth.service import create_token
from services.order_watch.auth.tokens import Role
from services.order_watch.db import OutboxMessage as OrderWatchOutbox
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import run_worker
from tests.support.servers import background, serving


@dataclass
class System:
    adapter_url: str
    order_watch_url: str
    client: httpx.AsyncClient
    tokens: dict[Role, str]

    def auth(self, role: Role = Role.SALES) -> dict[str, str]:
        """Headers that authenticate as a staff API user of this role."""
        return {"authorization": f"Bearer {self.tokens[role]}"}


async def role_tokens(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> dict[Role, str]:
    """A staff API token per role, named after the role (e.g. actor "fulfillment")."""
    async with transaction(sessions) as session:
        return {role: create_token(session, role.value, role, "test", clock.now())[1] for role in Role}


@asynccontextmanager
async def running_system(
    adapter_settings: CarrierAdapterSettings,
    order_watch_settings: OrderWatchSettings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock | None = None,
) -> AsyncIterator[System]:
    clock = clock or SystemClock()
    # Topics first, as `make run` and the compose init step do: the embedded broker would
    # otherwise auto-create a topic on first publish that its consumers cannot see.
    await ensure_topics(order_watch_settings)
    async with AsyncExitStack() as stack:
        adapter_url = await stack.enter_async_context(serving(create_adapter_app(adapter_settings, clock)))
        order_watch_url = await stack.enter_async_context(serving(create_order_watch_app(order_watch_settings, clock)))
        await stack.enter_async_context(
            background(lambda stop: run_relay(adapter_settings, AdapterOutbox, clock, stop))
        )
        await stack.enter_async_context(
            background(lambda stop: run_relay(order_watch_settings, OrderWatchOutbox, clock, stop))
        )
        await stack.enter_async_context(
            background(lambda stop: run_worker(order_watch_settings, sessions, clock, stop))
        )
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        yield System(adapter_url, order_watch_url, client, await role_tokens(sessions, clock))
