"""`make run`: the whole system on this machine, in the foreground, until Ctrl-C.

Embedded PostgreSQL (data kept in .devstack/pg), the embedded broker on 127.0.0.1:9092,
migrations, topics, both HTTP services, the worker, both outbox relays, the scheduler, the
notifier and the demo feed. Writes .devstack/env (URLs, broker, database URL, operations ports,
dev secrets and tokens) and stops every process it started on Ctrl-C.

Nothing dies silently: a crashed process is restarted with backoff and said so on stderr; one
that keeps dying, or PostgreSQL or the broker dying, stops the whole stack with exit code 1 and
one line saying what died and where its log is.
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


# The processes with an operations port (/healthz, /readyz, /metrics), and the setting that moves it.
OPS_PORT_SETTINGS = {
    "order-watch-worker": "ORDER_WATCH_WORKER_OPS_PORT",
    "order-watch-relay": "ORDER_WATCH_RELAY_OPS_PORT",
    "order-watch-scheduler": "ORDER_WATCH_SCHEDULER_OPS_PORT",
    "order-watch-notifier": "ORDER_WATCH_NOTIFIER_OPS_PORT",
    "carrier-adapter-relay": "CARRIER_ADAPTER_RELAY_OPS_PORT",
    "order-watch-learn": "ORDER_WATCH_LEARN_OPS_PORT",
}


@dataclass
class Ports:
    postgres: int = 55432
    broker: int = 9092
    order_watch: int = 8080
    carrier_adapter: int = 8081
    ops: int = 9181  # the first of len(OPS_PORT_SETTINGS) consecutive ports

    def ops_ports(self) -> dict[str, int]:
        return {setting: self.ops + i for i, setting in enumerate(OPS_PORT_SETTINGS.values())}

    def all(self) -> dict[str, int]:
        named = {name: port for name, port in vars(self).items() if name != "ops"}
        return {**named, **self.ops_ports()}


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0  # quick deaths in a row
    started_at: float = field(default=0.0)
    restart_at: float | None = None  # when a dead child starts again

    @property
    def log_path(self) -> Path:
        return STATE_DIR / "logs" / f"{self.name}.log"


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
        "OPS_SAMPLE_SECONDS": "5",
        **{setting: str(port) for setting, port in ports.ops_ports().items()},
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
        Child("order-watch-learn", [str(bin_dir / "order-watch"), "learn", "--every", "24"]),
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
    busy = [f"{name} {port}" for name, port in ports.all().items() if port_open(port)]
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
        supervisor = Supervisor(env)
        while not stopping:
            failure = _infrastructure_failure(postgres, broker) or supervisor.check(running)
            if failure:
                print(f"\n!! {failure}; stopping the stack.", file=sys.stderr, flush=True)
                return 1
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
    child.process = spawn(child.args, log_path=child.log_path, env=env, cwd=ROOT)
    child.started_at = time.monotonic()


def last_line(path: Path) -> str:
    """The last non-blank line of a log (a one-line error, or the end of a traceback)."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except FileNotFoundError:
        return ""
    return lines[-1][:300] if lines else ""


@dataclass
class Supervisor:
    """Restart a dead child with backoff and say so; give up on one that keeps dying.

    A child that ran `stable_seconds` is healthy again, so only quick deaths in a row count
    toward `limit`. The demo feed may finish (exit 0); nothing else is expected to exit.
    """

    env: dict[str, str]
    first_delay: float = 1.0
    max_delay: float = 30.0
    limit: int = 5
    stable_seconds: float = 60.0

    def check(self, running: list[Child]) -> str | None:
        """One look at every child; returns why the stack must stop, if it must."""
        now = time.monotonic()
        for child in running:
            code = child.process.poll() if child.process is not None else None
            if code is None:
                if child.restart_at is None and now - child.started_at >= self.stable_seconds:
                    child.restarts = 0
                continue
            if child.name == "demo-feed" and code == 0:
                continue
            if child.restart_at is None:
                failure = self._schedule_restart(child, code, now)
                if failure:
                    return failure
            elif now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                _start(child, self.env)
        return None

    def _schedule_restart(self, child: Child, code: int, now: float) -> str | None:
        if now - child.started_at >= self.stable_seconds:
            child.restarts = 0
        said = last_line(child.log_path)
        if child.restarts >= self.limit:
            deaths = child.restarts + 1
            return (
                f"{child.name} keeps dying (exit code {code}, {deaths} times in a row): {said} — see {child.log_path}"
            )
        delay = min(self.first_delay * 2**child.restarts, self.max_delay)
        child.restart_at = now + delay
        print(
            f"!! {child.name} exited with code {code}; restarting in {delay:.0f}s "
            f"({child.restarts + 1} of {self.limit} in a row): {said} — see {child.log_path}",
            file=sys.stderr,
            flush=True,
        )
        return None


def _infrastructure_failure(postgres: EmbeddedPostgres, broker: EmbeddedBroker) -> str | None:
    """PostgreSQL or the broker died: every process needs both, so the stack stops (exit 1)."""
    watched = (
        ("PostgreSQL", postgres.process, postgres.data_dir / "server.log"),
        ("the Kafka-protocol broker", broker.process, broker.log_path),
    )
    for what, process, log in watched:
        if process is not None and process.poll() is not None:
            return f"{what} exited with code {process.returncode} — see {log}"
    return None


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
        f"  metrics            {env['ORDER_WATCH_URL']}/metrics, {env['CARRIER_ADAPTER_URL']}/metrics and every other "
        f"process on 127.0.0.1:{env['ORDER_WATCH_WORKER_OPS_PORT']}…{env['CARRIER_ADAPTER_RELAY_OPS_PORT']}/metrics "
        "(`python -m services.devstack.scrape`)\n"
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
        ops=int(os.environ.get("DEVSTACK_OPS_PORT", 9181)),
    )
    sys.exit(run(ports, with_demo=not args.no_demo))
