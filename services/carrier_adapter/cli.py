"""`carrier-adapter`: serve webhooks, relay the outbox, migrate, re-normalize, sign test payloads."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.carrier_adapter.settings import CarrierAdapterSettings
from services.common.clock import SystemClock

PACKAGE = "services.carrier_adapter"


def serve(settings: CarrierAdapterSettings, _: argparse.Namespace) -> None:
    from services.carrier_adapter.app import create_app
    from services.common.cli import serve_http
    from services.common.lifecycle import collect_for_batches

    app = create_app(settings)
    # Webhooks are written in group commits and a request leaves little behind: collected like a
    # batch worker (bench/intake.py at c=32: 0.34 against 0.43 ms of CPU per webhook, p99 29
    # against 37 ms, than with the young collected at the default).
    collect_for_batches()
    serve_http(app, settings, settings.http_host, settings.http_port)


def relay(settings: CarrierAdapterSettings, _: argparse.Namespace) -> None:
    from services.carrier_adapter.webhooks.models import OutboxMessage
    from services.common.cli import run_daemon
    from services.common.ops import Ops, outbox_backlog
    from services.common.outbox import run_relay

    samplers = [outbox_backlog(OutboxMessage, "carrier_adapter")]
    ops = Ops("carrier-adapter relay", settings.relay_ops_port, "CARRIER_ADAPTER_RELAY_OPS_PORT", samplers)
    run_daemon(settings, lambda stop: run_relay(settings, OutboxMessage, SystemClock(), stop), ops)


def migrate(settings: CarrierAdapterSettings, _: argparse.Namespace) -> None:
    from services.common.migrations import upgrade

    upgrade(PACKAGE, settings.database_url)
    print("carrier_adapter schema is at head")


def renormalize(settings: CarrierAdapterSettings, args: argparse.Namespace) -> None:
    from services.carrier_adapter.webhooks.flows import renormalize as run
    from services.common.db import database

    async def main() -> None:
        async with database(settings.database_url, pool_size=2) as db:
            report = await run(db.sessions, SystemClock().now(), source=args.source)
        print(
            f"deliveries: {report.deliveries}, new events: {report.new_events}, "
            f"revised events: {report.revised_events}, unreadable deliveries: {report.failed_deliveries}"
        )

    asyncio.run(main())


def sign(settings: CarrierAdapterSettings, args: argparse.Namespace) -> None:
    from services.carrier_adapter.signing import curl_command

    secret = args.secret or next(iter(settings.secrets_for(args.source)), None)
    if not secret:
        sys.exit(
            f"no secret for {args.source}: pass --secret or set CARRIER_ADAPTER_WEBHOOK_SECRETS__{args.source.upper()}"
        )
    url = args.url or f"http://{settings.http_host}:{settings.http_port}"
    with open(args.file, "rb") as handle:
        body = handle.read()
    print(curl_command(args.source, body, secret, url, SystemClock().now()))


def republish(settings: CarrierAdapterSettings, args: argparse.Namespace) -> None:
    from services.carrier_adapter.webhooks.models import OutboxMessage
    from services.common.outbox import republish_command

    republish_command(settings, OutboxMessage, args.since)


COMMANDS = {
    "serve": (serve, "serve POST /webhooks/{source}, /healthz, /readyz, /metrics"),
    "relay": (relay, "publish stored tracking events to tracking.v1"),
    "migrate": (migrate, "create or upgrade the carrier_adapter schema"),
    "renormalize": (renormalize, "re-run today's mappers over stored raw deliveries"),
    "sign": (sign, "sign a payload file for a source and print the curl command to send it"),
    "republish": (republish, "publish again the tracking events sent since --since (a broker lost them)"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="carrier-adapter", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        if name == "renormalize":
            sub.add_argument("--source", help="only deliveries from this source")
        if name == "sign":
            sub.add_argument("--source", required=True, help="source slug, e.g. ups, generic")
            sub.add_argument("--file", required=True, help="payload file to send")
            sub.add_argument("--secret", help="secret or token (default: the first configured one)")
            sub.add_argument("--url", help="base URL of the adapter (default: from settings)")
        if name == "republish":
            from services.common.outbox import since_argument

            sub.add_argument("--since", required=True, type=since_argument, help="ISO 8601 instant with offset")
    args = parser.parse_args(argv)
    from services.common.cli import run_command

    run_command(parser.prog, CarrierAdapterSettings, lambda settings: COMMANDS[args.command][0](settings, args))
