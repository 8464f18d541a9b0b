"""The notifier process: route new notices, deliver due notifications, sleep, repeat.

Safe with several replicas: notices and deliveries are claimed with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.db import transaction
from services.common.lifecycle import sleep_or_stop
from services.common.retry import Outage, is_transient
from services.order_watch.notifications.flows import deliver_due, route_notices
from services.order_watch.settings import OrderWatchSettings

log = logging.getLogger(__name__)


async def notify_round(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: Clock
) -> int:
    """One round: route in one transaction, deliver in another; returns deliveries attempted."""
    async with transaction(sessions) as session:
        await route_notices(session, settings, clock.now())
    async with transaction(sessions) as session:
        return await deliver_due(session, client, settings, clock.now())


async def run_notifier(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock, stop: asyncio.Event
) -> None:
    log.info("notifier running", extra={"channels": sorted(settings.notification_channels)})
    async with httpx.AsyncClient(timeout=settings.notification_timeout_seconds) as client:
        outage = Outage("order_watch_notifier")
        while not stop.is_set():
            attempted = 0
            try:
                attempted = await notify_round(settings, sessions, client, clock)
                outage.over()
            except Exception as exc:
                # Notices and deliveries stay pending in the database; see the scheduler.
                if is_transient(exc):
                    await outage.wait(exc, stop)
                    continue
                log.exception("notifier round failed; retrying next interval")
            if attempted < settings.notifier_batch:
                await sleep_or_stop(stop, settings.notifier_interval_seconds)
