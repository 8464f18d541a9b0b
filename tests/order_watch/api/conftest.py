"""Staff API tests: the real app on a loopback port, the real database, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import ManualClock
from services.common.db import transaction
from services.common.vocab import ServiceLevel
from services.order_watch.app import create_app
from services.order_watch.auth.tokens import Role
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.orders.flows import apply_events
from services.order_watch.settings import OrderWatchSettings
from tests.support.events import label_created, order_placed, unique_order_id
from tests.support.servers import serving
from tests.support.system import role_tokens

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
LABEL_TIME = datetime(2026, 11, 18, 17, 45, tzinfo=CHICAGO)  # PRODUCT.md story 1: Wednesday evening


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
        await self.apply(
            order_placed(
                order_id,
                placed_at=datetime(2026, 11, 18, 14, 0, tzinfo=CHICAGO),
                promised_by=datetime(2026, 11, 20, 20, 0, tzinfo=NEW_YORK),
                paid=ServiceLevel.NEXT_DAY,
            ),
            label_created(order_id, created_at=LABEL_TIME, tracking_number=f"1Z{order_id[-10:]}", service_code="03"),
        )
        return order_id


@pytest.fixture
async def api(
    order_watch_settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Api]:
    clock = ManualClock(LABEL_TIME)
    async with serving(create_app(order_watch_settings, clock)) as url, httpx.AsyncClient(base_url=url) as client:
        yield Api(client, await role_tokens(sessions, clock), sessions, clock, order_watch_settings)
