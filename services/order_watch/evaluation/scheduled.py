"""The scheduler: fire time-based rules for orders whose next check is due.

Safe with several replicas: due orders are claimed with `FOR UPDATE SKIP LOCKED`, and each
claim is evaluated and committed in its own transaction.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.db import transaction
from services.common.lifecycle import sleep_or_stop
from services.common.retry import Outage, is_transient
from services.order_watch.escalation.scheduled import run_escalations
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.evaluation.service import claim_due_orders
from services.order_watch.settings import OrderWatchSettings

log = logging.getLogger(__name__)


async def run_due_checks(settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Evaluate every order due now, a batch per transaction; returns how many were checked."""
    checked = 0
    while True:
        now = clock.now()
        async with transaction(sessions) as session:
            due = await claim_due_orders(session, now, settings.scheduler_batch)
            await evaluate_orders(session, set(due), now, settings.origin_time_zone)
        checked += len(due)
        if len(due) < settings.scheduler_batch:
            return checked


async def run_scheduler(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock, stop: asyncio.Event
) -> None:
    log.info("scheduler running", extra={"interval_s": settings.scheduler_interval_seconds})
    outage = Outage("order_watch_scheduler")
    while not stop.is_set():
        try:
            checked = await run_due_checks(settings, sessions, clock)
            if checked:
                log.info("due checks done", extra={"orders": checked})
            escalated = await run_escalations(settings, sessions, clock)
            if escalated:
                log.info("alerts escalated", extra={"alerts": escalated})
            outage.over()
        except Exception as exc:
            # Due orders stay due in the database, so nothing is lost; an outage is waited out
            # with a backoff and one log line, anything else is logged in full and retried.
            if is_transient(exc):
                await outage.wait(exc, stop)
                continue
            log.exception("scheduler round failed; retrying next interval")
        await sleep_or_stop(stop, settings.scheduler_interval_seconds)
