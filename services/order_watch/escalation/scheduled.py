"""The scheduler's escalation round: one transaction per round, safe with several replicas."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.db import transaction
from services.order_watch.escalation.flows import escalate_due
from services.order_watch.settings import OrderWatchSettings


async def run_escalations(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> int:
    """Escalate every alert whose policy says so now; returns how many climbed a level."""
    async with transaction(sessions) as session:
        return await escalate_due(session, clock.now(), settings.escalation_batch)
