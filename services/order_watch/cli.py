"""`order-watch`: serve the staff API, run the worker, the outbox relay, the scheduler, the notifier,
learn the delivery model, migrate, manage staff API tokens, inspect and replay dead letters, and
republish outbox events a broker lost."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock, SystemClock
from services.common.db import database
from services.order_watch.settings import OrderWatchSettings

PACKAGE = "services.order_watch"


def serve(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.cli import serve_http
    from services.common.lifecycle import freeze_start_up_heap
    from services.order_watch.app import create_app

    app = create_app(settings)
    # Only the start-up heap is exempted: a staff request leaves ORM cycles behind, and a rarer young
    # collection walked them in pauses of up to 44 ms (bench/lists.py), against 1 ms at the default.
    freeze_start_up_heap()
    serve_http(app, settings, settings.http_host, settings.http_port)


def worker(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.cli import run_daemon
    from services.common.lifecycle import collect_for_batches
    from services.common.ops import Ops, consumer_lag
    from services.order_watch.gauges import open_work
    from services.order_watch.worker import CONSUMED_TOPICS, run_worker

    collect_for_batches()  # the process's own setting: once, after its imports
    samplers = [consumer_lag(settings, settings.consumer_group, CONSUMED_TOPICS), open_work()]
    ops = Ops("order-watch worker", settings.worker_ops_port, "ORDER_WATCH_WORKER_OPS_PORT", samplers)
    run_daemon(settings, _with_database(settings, run_worker, pool_size=4), ops)


def relay(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.cli import run_daemon
    from services.common.ops import Ops, outbox_backlog
    from services.common.outbox import run_relay
    from services.order_watch.db import OutboxMessage

    ops = Ops(
        "order-watch relay",
        settings.relay_ops_port,
        "ORDER_WATCH_RELAY_OPS_PORT",
        [outbox_backlog(OutboxMessage, "order_watch")],
    )
    run_daemon(settings, lambda stop: run_relay(settings, OutboxMessage, SystemClock(), stop), ops)


def scheduler(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.cli import run_daemon
    from services.common.ops import Ops
    from services.order_watch.evaluation.scheduled import run_scheduler
    from services.order_watch.gauges import escalations

    ops = Ops("order-watch scheduler", settings.scheduler_ops_port, "ORDER_WATCH_SCHEDULER_OPS_PORT", [escalations()])
    run_daemon(settings, _with_database(settings, run_scheduler, pool_size=2), ops)


def notifier(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.cli import run_daemon
    from services.common.ops import Ops
    from services.order_watch.gauges import notifications
    from services.order_watch.notifications.scheduled import run_notifier

    samplers = [notifications(list(settings.notification_channels))]
    ops = Ops("order-watch notifier", settings.notifier_ops_port, "ORDER_WATCH_NOTIFIER_OPS_PORT", samplers)
    run_daemon(settings, _with_database(settings, run_notifier, pool_size=2), ops)


Loop = Callable[[OrderWatchSettings, async_sessionmaker[AsyncSession], Clock, asyncio.Event], Awaitable[None]]


def _with_database(
    settings: OrderWatchSettings, loop: Loop, *, pool_size: int
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A daemon's main: run `loop` on the system clock with a database pool of its own until `stop`."""

    async def main(stop: asyncio.Event) -> None:
        async with database(settings.database_url, pool_size=pool_size) as db:
            await loop(settings, db.sessions, SystemClock(), stop)

    return main


def republish(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    from services.common.outbox import republish_command
    from services.order_watch.db import OutboxMessage

    republish_command(settings, OutboxMessage, args.since)


def token(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    from services.order_watch.auth.commands import run_token_command

    asyncio.run(run_token_command(settings, args))


def dlq(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    from services.common.dlq_commands import run_dlq_command

    if code := asyncio.run(run_dlq_command(settings, args)):
        sys.exit(code)


def learn(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    from services.order_watch.learning.commands import run_learn

    run_learn(settings, args)


def migrate(settings: OrderWatchSettings, _: argparse.Namespace) -> None:
    from services.common.migrations import upgrade

    upgrade(PACKAGE, settings.database_url)
    print("order_watch schema is at head")


COMMANDS = {
    "serve": (serve, "serve the staff API and UI, /healthz, /readyz, /metrics"),
    "worker": (worker, "consume orders.v1, shipments.v1, tracking.v1; reconcile"),
    "relay": (relay, "publish case and task changes to alerts.v2 and tasks.v1"),
    "scheduler": (scheduler, "fire time-based rules for orders whose next check is due"),
    "notifier": (notifier, "deliver alert notifications (Slack, signed webhooks, email) with retries"),
    "token": (token, "staff API tokens: create NAME ROLE | revoke TOKEN_ID | list"),
    "dlq": (dlq, "dead letters: list | show TOPIC PARTITION:OFFSET | replay (--topic T --at P:O | --all)"),
    "learn": (learn, "fit the delivery model from the stored history (--days, --every HOURS to refit)"),
    "migrate": (migrate, "create or upgrade the order_watch schema"),
    "republish": (republish, "publish again the alert and task events sent since --since (a broker lost them)"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="order-watch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text)
        if name == "token":
            from services.order_watch.auth.commands import add_token_arguments

            add_token_arguments(command)
        if name == "dlq":
            from services.common.dlq_commands import add_dlq_arguments

            add_dlq_arguments(command)
        if name == "republish":
            from services.common.outbox import since_argument

            command.add_argument("--since", required=True, type=since_argument, help="ISO 8601 instant with offset")
        if name == "learn":
            from services.order_watch.learning.commands import add_learn_arguments

            add_learn_arguments(command)
    args = parser.parse_args(argv)
    from services.common.cli import run_command

    run_command(parser.prog, OrderWatchSettings, lambda settings: COMMANDS[args.command][0](settings, args))
