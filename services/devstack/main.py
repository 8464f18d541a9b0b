"""`make run`: the whole system on this machine, in the foreground, until Ctrl-C.

Embedded PostgreSQL (data kept in .devstack/pg), the embedded broker on 127.0.0.1:9092,
migrations, topics, both HTTP services, the worker, both outbox relays, the scheduler and the
demo feed. Writes .devstack/env (URLs, broker, database URL, dev secrets and tokens) and stops
every process it started on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from services.devstack.broker import EmbeddedBroker
from services.devstack.postgres import EmbeddedPostgres
from services.devstack.processes import port_open, spawn, stop, wait_until

ROOT = Path.cwd()
STATE_DIR = ROOT / ".devstack"
PID_FILE = STATE_DIR / "devstack.pid"
SECRETS_FILE = STATE_DIR / "secrets.json"
SOURCES = ("generic", "easypost", "shippo", "aftership", "ups", "fedex", "usps", "dhl")


@dataclass
class Ports:
    postgres: int = 55432
    broker: int = 9092
    order_watch: int = 8080
    carrier_adapter: int = 8081


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)


def already_running() -> int | None:
    """The pid of a live devstack, if there is one."""
    try:
        pid = int(PID_FILE.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def dev_secrets() -> dict[str, str]:
    """Per-source webhook secrets, made once and kept so an integrator's setup keeps working."""
    if SECRETS_FILE.exists():
        return json.loads(SECRETS_FILE.read_text())
    import base64

    values = {source: f"dev-{source}-{secrets.token_hex(12)}" for source in SOURCES}
    values["generic"] = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    SECRETS_FILE.write_text(json.dumps(values, indent=2))
    SECRETS_FILE.chmod(0o600)
    return values


def environment(
    ports: Ports, postgres: EmbeddedPostgres, broker: EmbeddedBroker, webhook_secrets: dict[str, str]
) -> dict[str, str]:
    env = {
        "ORDER_WATCH_URL": f"http://127.0.0.1:{ports.order_watch}",
        "CARRIER_ADAPTER_URL": f"http://127.0.0.1:{ports.carrier_adapter}",
        "DATABASE_URL": postgres.url,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "ORDER_WATCH_HTTP_PORT": str(ports.order_watch),
        "CARRIER_ADAPTER_HTTP_PORT": str(ports.carrier_adapter),
    }
    for source, secret in webhook_secrets.items():
        env[f"CARRIER_ADAPTER_WEBHOOK_SECRETS__{source.upper()}"] = secret
    return env


def write_env_file(env: dict[str, str]) -> Path:
    path = STATE_DIR / "env"
    lines = ["# Order Watch dev stack — source it: `. .devstack/env`"]
    lines += [f"export {name}='{value}'" for name, value in sorted(env.items())]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def children(bin_dir: Path) -> list[Child]:
    return [
        Child("carrier-adapter", [str(bin_dir / "carrier-adapter"), "serve"]),
        Child("carrier-adapter-relay", [str(bin_dir / "carrier-adapter"), "relay"]),
        Child("order-watch-api", [str(bin_dir / "order-watch"), "serve"]),
        Child("order-watch-worker", [str(bin_dir / "order-watch"), "worker"]),
        Child("order-watch-relay", [str(bin_dir / "order-watch"), "relay"]),
        Child("order-watch-scheduler", [str(bin_dir / "order-watch"), "scheduler"]),
        Child("order-watch-notifier", [str(bin_dir / "order-watch"), "notifier"]),
    ]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def run(ports: Ports, with_demo: bool) -> int:
    STATE_DIR.mkdir(exist_ok=True)
    (STATE_DIR / "logs").mkdir(exist_ok=True)
    pid = already_running()
    if pid is not None:
        print(
            f"Order Watch is already running (devstack pid {pid}). Stop it with Ctrl-C in its terminal "
            f"or `kill {pid}`; its settings are in {STATE_DIR / 'env'}.",
            file=sys.stderr,
        )
        return 1
    busy = [f"{name} {port}" for name, port in vars(ports).items() if port_open(port)]
    if busy:
        print(
            f"Cannot start: port(s) already in use: {', '.join(busy)}. Free them or set DEVSTACK_*_PORT.",
            file=sys.stderr,
        )
        return 1
    PID_FILE.write_text(str(os.getpid()))
    postgres = EmbeddedPostgres(STATE_DIR / "pg", ports.postgres)
    broker = EmbeddedBroker(ports.broker, log_path=STATE_DIR / "logs" / "broker.log")
    running: list[Child] = []
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print("starting PostgreSQL and the broker …", flush=True)
        postgres.start()
        broker.start()
        stack_env = environment(ports, postgres, broker, dev_secrets())
        env = {**os.environ, **stack_env}
        os.environ.update(env)
        _prepare(postgres.url)
        env_file = write_env_file({**stack_env, **asyncio.run(dev_tokens(postgres.url))})
        bin_dir = Path(sys.executable).parent
        for child in children(bin_dir):
            _start(child, env)
            running.append(child)
        urls = (env["ORDER_WATCH_URL"], env["CARRIER_ADAPTER_URL"])
        wait_until(lambda: all(healthy(url) for url in urls), timeout=90, what="services")
        if with_demo:  # the feed talks to the webhook endpoint, so it starts once that answers
            demo = Child("demo-feed", [str(bin_dir / "python"), "-m", "services.devstack.demo"])
            _start(demo, env)
            running.append(demo)
        _banner(env, env_file)
        while not stopping:
            _supervise(running, env)
            time.sleep(0.5)
        return 0
    finally:
        print("\nstopping …", flush=True)
        for child in reversed(running):
            if child.process is not None:
                stop(child.process)
        broker.stop()
        postgres.stop()
        PID_FILE.unlink(missing_ok=True)
        print("stopped; nothing left running.", flush=True)


async def dev_tokens(database_url: str) -> dict[str, str]:
    """A fresh staff API token per role (`dev-<role>`), the previous dev tokens revoked: ORDER_WATCH_TOKEN_<ROLE>.

    The new tokens come first: the last active admin token cannot be revoked.
    """
    from sqlalchemy import select

    from services.common.clock import SystemClock
    from services.common.db import database, transaction
    from services.order_watch.auth.models import ApiToken
    from services.order_watch.auth.service import create_token, revoke_token
    from services.order_watch.auth.tokens import Role

    now = SystemClock().now()
    async with database(database_url, pool_size=1) as db, transaction(db.sessions) as session:
        names = [f"dev-{role.value}" for role in Role]
        previous = list(await session.scalars(select(ApiToken.token_id).where(ApiToken.name.in_(names))))
        created = {role: create_token(session, f"dev-{role.value}", role, "devstack", now)[1] for role in Role}
        for token_id in previous:
            await revoke_token(session, token_id, "devstack", now)
    return {f"ORDER_WATCH_TOKEN_{role.value.upper()}": token for role, token in created.items()}


def _prepare(database_url: str) -> None:
    from services.common.kafka import ensure_topics
    from services.common.migrations import upgrade
    from services.common.settings import ServiceSettings

    for package in ("services.carrier_adapter", "services.order_watch"):
        upgrade(package, database_url)
    asyncio.run(ensure_topics(ServiceSettings()))


def _start(child: Child, env: dict[str, str]) -> None:
    child.process = spawn(child.args, log_path=STATE_DIR / "logs" / f"{child.name}.log", env=env, cwd=ROOT)
    child.started_at = time.monotonic()


def _supervise(running: list[Child], env: dict[str, str]) -> None:
    """Restart a crashed long-lived process (at most 5 times); the demo feed may finish."""
    for child in running:
        if child.process is None or child.process.poll() is None:
            continue
        if child.name == "demo-feed" and child.process.returncode == 0:
            continue
        if child.restarts >= 5:
            continue
        child.restarts += 1
        print(
            f"{child.name} exited with {child.process.returncode}; restarting (see .devstack/logs/{child.name}.log)",
            flush=True,
        )
        _start(child, env)


def _banner(env: dict[str, str], env_file: Path) -> None:
    print(
        "\nOrder Watch is running.\n"
        f"  staff web UI       {env['ORDER_WATCH_URL']}/ui  (sign in with a token from the env file)\n"
        f"  staff API          {env['ORDER_WATCH_URL']}  (API docs: {env['ORDER_WATCH_URL']}/docs)\n"
        f"  carrier webhooks   {env['CARRIER_ADAPTER_URL']}/webhooks/<source>\n"
        f"  broker             {env['KAFKA_BOOTSTRAP_SERVERS']}\n"
        f"  database           {env['DATABASE_URL']}\n"
        f"  settings + secrets {env_file}   (. {env_file.relative_to(ROOT)})\n"
        "  staff API tokens   $ORDER_WATCH_TOKEN_SALES, _FULFILLMENT, _ADMIN, _INTEGRATION (in the env file)\n"
        f"  logs               {STATE_DIR / 'logs'}\n"
        "Press Ctrl-C to stop everything.",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="do not start the demo feed")
    args = parser.parse_args(argv)
    ports = Ports(
        postgres=int(os.environ.get("DEVSTACK_POSTGRES_PORT", 55432)),
        broker=int(os.environ.get("DEVSTACK_BROKER_PORT", 9092)),
        order_watch=int(os.environ.get("DEVSTACK_ORDER_WATCH_PORT", 8080)),
        carrier_adapter=int(os.environ.get("DEVSTACK_CARRIER_ADAPTER_PORT", 8081)),
    )
    sys.exit(run(ports, with_demo=not args.no_demo))
