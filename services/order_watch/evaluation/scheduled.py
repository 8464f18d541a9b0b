"""The scheduler: fire time-based rules for orders whose next check is due.

Not while the worker is behind on `tracking.v1` (ARCHITECTURE §5.10): a rule that fires on
time passing without a scan must not fire while the scan sits unread on the topic, so a
system catching up after an outage or a deploy pages no one. Due checks wait until the lag is
back under `ORDER_WATCH_SCHEDULER_HOLD_LAG`; escalations of alerts already raised go on.

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
from services.common.metrics import SCHEDULER_HELD
from services.common.ops import group_lag
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


class CatchUpHold:
    """Whether due checks wait: the worker's lag on `tracking.v1` is over the bound, or unknown."""

    def __init__(self, settings: OrderWatchSettings) -> None:
        self.settings = settings
        self.held = False

    async def holding(self) -> bool:
        try:
            lag: int | None = await group_lag(self.settings, self.settings.consumer_group, "tracking.v1")
        except Exception:  # the broker cannot say: scans may be waiting unread, so hold
            lag = None
        held = lag is None or lag > self.settings.scheduler_hold_lag
        if held != self.held:
            words = "holding due checks: the worker is behind" if held else "due checks resume: the worker caught up"
            log.warning(words, extra={"tracking_lag": lag, "bound": self.settings.scheduler_hold_lag})
        self.held = held
        SCHEDULER_HELD.set(1 if held else 0)
        return held


async def run_scheduler(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock, stop: asyncio.Event
) -> None:
    log.info("scheduler running", extra={"interval_s": settings.scheduler_interval_seconds})
    outage = Outage("order_watch_scheduler")
    hold = CatchUpHold(settings)
    while not stop.is_set():
        try:
            if not await hold.holding():
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
