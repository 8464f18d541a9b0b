"""`order-watch learn`: fit the delivery model from PostgreSQL, once or on a schedule.

order-watch learn                 # fit on the last 90 days, store the version, print its counts
order-watch learn --every 24      # refit every 24 hours until stopped (a daemon, like the scheduler)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
from typing import Any

from services.common.clock import SystemClock
from services.common.db import database, transaction
from services.common.lifecycle import sleep_or_stop
from services.order_watch.learning.flows import refit
from services.order_watch.settings import OrderWatchSettings

log = logging.getLogger(__name__)


def add_learn_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=float, default=90, help="history window: orders placed in the last N days")
    parser.add_argument("--every", type=float, help="refit every N hours until stopped")


def run_learn(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    """Fit once and print the version, or (with --every) refit on a schedule until stopped."""
    if args.every is None:
        print(json.dumps(asyncio.run(_fit(settings, args.days))))
        return
    from services.common.cli import run_daemon

    run_daemon(settings, lambda stop: _refit_every(settings, args.days, args.every * 3600, stop))


async def _refit_every(settings: OrderWatchSettings, days: float, seconds: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            log.info("delivery model refitted", extra=await _fit(settings, days))
        except Exception:
            log.exception("refit failed; retrying next interval")
        await sleep_or_stop(stop, seconds)


async def _fit(settings: OrderWatchSettings, days: float) -> dict[str, Any]:
    async with database(settings.database_url, pool_size=1) as db, transaction(db.sessions) as session:
        model = await refit(session, SystemClock().now(), settings.origin_time_zone, dt.timedelta(days=days))
    return {"version": model.version, "window_from": str(model.window_from), **model.counts()}
