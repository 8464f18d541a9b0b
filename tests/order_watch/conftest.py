"""order_watch tests: the real app (staff API and UI) on a loopback port, the real database, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import ManualClock
from services.common.db import transaction
from services.order_watch.app import create_app
from services.order_watch.auth.tokens import Role
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.orders.flows import apply_events
from services.order_watch.settings import OrderWatchSettings
from tests.support.events import STORY_LABEL_TIME, story_events, unique_order_id
from tests.support.servers import serving
from tests.support.system import role_tokens

LABEL_TIME = STORY_LABEL_TIME


@dataclass
class Api:
    client: httpx.AsyncClient
    tokens: dict[Role, str]
    sessions: async_sessionmaker[AsyncSession]
    clock: ManualClock
    settings: OrderWatchSettings

    def auth(self, role: Role) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[role]}"}

    async def call(self, method: str, path: str, role: Role = Role.FULFILLMENT, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=self.auth(role), **kwargs)

    async def apply(self, *events: Any) -> None:
        """Apply events and re-evaluate, exactly as one worker batch does (without the broker)."""
        async with transaction(self.sessions) as session:
            touched = await apply_events(session, list(events), self.clock.now())
            await evaluate_orders(session, touched, self.clock.now(), self.settings.origin_time_zone)

    async def reevaluate(self, order_id: str) -> None:
        """Run the rules over the order again, as the scheduler would."""
        async with transaction(self.sessions) as session:
            await evaluate_orders(session, {order_id}, self.clock.now(), self.settings.origin_time_zone)

    async def story_order(self) -> str:
        """Paid next-day Wednesday, promised Friday; the label says ground (UPS 03)."""
        order_id = unique_order_id()
        await self.apply(*story_events(order_id, tracking_number=f"1Z{order_id[-10:]}"))
        return order_id


@pytest.fixture
async def api(
    order_watch_settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Api]:
    """The order_watch app (staff API and UI) on a manual clock, with a token per role; no broker needed."""
    clock = ManualClock(LABEL_TIME)
    async with serving(create_app(order_watch_settings, clock)) as url, httpx.AsyncClient(base_url=url) as client:
        yield Api(client, await role_tokens(sessions, clock), sessions, clock, order_watch_settings)
