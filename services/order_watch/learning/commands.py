"""`order-watch learn`: fit the delivery model from PostgreSQL, once or on a schedule.

order-watch learn                 # fit on the last 90 days, store the version, print its counts
order-watch learn --every 24      # refit every 24 hours until stopped (a daemon, like the scheduler)
order-watch learn --csv history.csv   # fit on a history export (docs/backtest.md) and store it
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from services.common.clock import SystemClock
from services.common.db import database, transaction
from services.common.lifecycle import sleep_or_stop
from services.common.metrics import DELIVERY_MODEL_FITTED
from services.common.retry import Outage, is_transient
from services.order_watch.learning.flows import refit
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.learning.service import store_model
from services.order_watch.promise import load_catalog
from services.order_watch.settings import OrderWatchSettings

log = logging.getLogger(__name__)


def add_learn_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=float, default=90, help="history window: orders placed in the last N days")
    parser.add_argument("--every", type=float, help="refit every N hours until stopped")
    parser.add_argument("--csv", type=Path, help="fit on this history CSV (docs/backtest.md) instead of the database")


def run_learn(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    """Fit once and print the version, or (with --every) refit on a schedule until stopped."""
    if args.csv is not None:
        print(json.dumps(asyncio.run(_fit_csv(settings, args.csv))))
        return
    if args.every is None:
        print(json.dumps(asyncio.run(_fit(settings, args.days))))
        return
    from services.common.cli import run_daemon
    from services.common.ops import Ops

    ops = Ops("order-watch learn", settings.learn_ops_port, "ORDER_WATCH_LEARN_OPS_PORT")
    run_daemon(settings, lambda stop: _refit_every(settings, args.days, args.every * 3600, stop), ops)


async def _refit_every(settings: OrderWatchSettings, days: float, seconds: float, stop: asyncio.Event) -> None:
    outage = Outage("order_watch_learn")
    while not stop.is_set():
        try:
            log.info("delivery model refitted", extra=await _fit(settings, days))
            DELIVERY_MODEL_FITTED.set_to_current_time()
            outage.over()
        except Exception as exc:
            if is_transient(exc):  # the rules keep the model in force; wait the database out
                await outage.wait(exc, stop)
                continue
            log.exception("refit failed; retrying next interval")
        await sleep_or_stop(stop, seconds)


async def _fit_csv(settings: OrderWatchSettings, path: Path) -> dict[str, Any]:
    from services.order_watch.backtest.importer import read_history
    from services.order_watch.backtest.learn import fit_until

    stream = read_history(path, settings.origin_time_zone)
    until = max(event.occurred_at for event in stream.events)
    model = fit_until(stream.events, stream.origin_tz, until, load_catalog())
    async with database(settings.database_url, pool_size=1) as db, transaction(db.sessions) as session:
        await store_model(session, model)
    return _summary(model)


def _summary(model: DeliveryModel) -> dict[str, Any]:
    return {"version": model.version, "window_from": str(model.window_from), **model.counts()}


async def _fit(settings: OrderWatchSettings, days: float) -> dict[str, Any]:
    async with database(settings.database_url, pool_size=1) as db, transaction(db.sessions) as session:
        model = await refit(session, SystemClock().now(), settings.origin_time_zone, dt.timedelta(days=days))
    return _summary(model)
