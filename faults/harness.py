"""What the fault suite is made of: a real stack, the services as real processes, a flaky
connection to PostgreSQL, a deterministic workload sent as the order system, the warehouse and
a carrier would send it, and a count of what arrived.

Nothing here is a mock: PostgreSQL and the broker are the embedded servers of `make run`, the
services are the same console scripts production runs, and faults are signals, a stopped
server, or a proxy that refuses or drops connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from services.carrier_adapter.carriers import all_sources
from services.common.contracts import TOPICS, Envelope
from services.common.db import database
from services.common.kafka import ensure_topics, make_producer
from services.common.ops import dead_letter_depths
from services.common.publish import publish
from services.common.settings import ServiceSettings
from services.devstack.processes import free_port, port_open, spawn, stop, wait_until
from services.devstack.stack import Stack
from tests.support.events import generic_scan, label_created, order_placed

BIN = Path(sys.executable).parent
GENERIC_SECRET = "whsec_ZmF1bHQtc3VpdGUtc2VjcmV0LWZvci1nZW5lcmlj"
SCAN_STATUSES = ("accepted", "in_transit", "out_for_delivery", "delivered")
BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a fixed world: the same workload every run


class FlakyProxy:
    """A loopback TCP proxy in front of PostgreSQL that can drop every connection or refuse
    new ones for a while — what a failover, a restarted pooler or a network blip does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_all()
            self._server = None

    def drop_all(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def refuse_for(self, seconds: float) -> None:
        """Stop listening (connections are refused) and drop what is open; listen again after."""
        await self.close()
        await asyncio.sleep(seconds)
        await self.start()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.transport.abort()  # the database is down: the client sees a reset
            return
        self._open.update((client_writer, upstream_writer))
        with contextlib.suppress(asyncio.CancelledError):  # the proxy closed under the pipes
            await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(writer)
            writer.transport.abort()


@dataclass
class Services:
    """The services of one scenario as real processes, on their own topic prefix and group."""

    stack: Stack
    database_url: str
    prefix: str
    work_dir: Path
    adapter_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def settings(self) -> ServiceSettings:
        return ServiceSettings(kafka_bootstrap_servers=self.stack.bootstrap_servers, kafka_topic_prefix=self.prefix)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.stack.bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.prefix,
            "ORDER_WATCH_CONSUMER_GROUP": f"order-watch-{self.prefix}",
            "CARRIER_ADAPTER_HTTP_PORT": str(self.adapter_port),
            "CARRIER_ADAPTER_WEBHOOK_SECRETS__GENERIC": GENERIC_SECRET,
            "LOG_LEVEL": "WARNING",
        }

    COMMANDS = {
        "adapter": ["carrier-adapter", "serve"],
        "adapter-relay": ["carrier-adapter", "relay"],
        "worker": ["order-watch", "worker"],
        "worker-2": ["order-watch", "worker"],
    }

    def start(self, name: str) -> None:
        program, *args = self.COMMANDS[name]
        log = self.work_dir / f"{self.prefix}{name}.log"
        # Each process serves /metrics on an operations port of its own; two workers need two.
        ports = {"ORDER_WATCH_WORKER_OPS_PORT": str(free_port()), "CARRIER_ADAPTER_RELAY_OPS_PORT": str(free_port())}
        self.processes[name] = spawn([str(BIN / program), *args], env={**self.env(), **ports}, log_path=log)
        if name == "adapter":
            wait_until(lambda: port_open(self.adapter_port), timeout=30, what="carrier-adapter serve")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed or committed."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            stop(process)
        self.processes.clear()


@dataclass(frozen=True)
class Workload:
    """N orders, each placed, labelled and scanned four times: deterministic from its seed."""

    orders: int
    seed: int = 13

    def order_events(self, orders: range | None = None) -> list[Envelope[Any]]:
        events: list[Envelope[Any]] = []
        for index in orders or range(self.orders):
            order_id, placed = f"FLT-{index:05d}", BASE_TIME + timedelta(minutes=index)
            events.append(order_placed(order_id, placed_at=placed, promised_by=placed + timedelta(days=3)))
            events.append(
                label_created(order_id, created_at=placed + timedelta(hours=2), tracking_number=self.tracking(index))
            )
        return events

    def scans(self, orders: range | None = None) -> list[bytes]:
        bodies = []
        for index in orders or range(self.orders):
            start = BASE_TIME + timedelta(minutes=index, hours=3)
            for step, status in enumerate(SCAN_STATUSES):
                at = start + timedelta(hours=8 * step)
                bodies.append(json.dumps(generic_scan(self.tracking(index), at=at, status=status)).encode())
        random.Random(self.seed).shuffle(bodies)
        return bodies

    @staticmethod
    def tracking(index: int) -> str:
        return f"1ZFAULT{index:011d}"


class Carrier:
    """Posts signed webhooks the way carriers do: retry on 5xx or a dead connection, with
    backoff, until answered 2xx or 4xx (a 4xx is counted: none is expected)."""

    def __init__(self, url: str, concurrency: int = 8) -> None:
        self.url = url
        self.concurrency = concurrency
        self.refused = 0
        self.retries = 0

    async def deliver(self, bodies: list[bytes], per_second: float) -> None:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        async with httpx.AsyncClient(timeout=10) as client:
            senders = [asyncio.create_task(self._sender(client, queue)) for _ in range(self.concurrency)]
            for body in bodies:
                await queue.put(body)
                await asyncio.sleep(1 / per_second)
            await queue.join()
            for task in senders:
                task.cancel()

    async def _sender(self, client: httpx.AsyncClient, queue: asyncio.Queue[bytes]) -> None:
        while True:
            body = await queue.get()
            await self._post_until_answered(client, body)
            queue.task_done()

    async def _post_until_answered(self, client: httpx.AsyncClient, body: bytes) -> None:
        delay = 0.2
        while True:
            headers, _ = all_sources()["generic"].sign_request(body, GENERIC_SECRET, datetime.now(UTC))
            try:
                response = await client.post(
                    f"{self.url}/webhooks/generic",
                    content=body,
                    headers={**headers, "content-type": "application/json"},
                )
                if response.status_code < 500:
                    self.refused += response.status_code >= 400
                    return
            except httpx.TransportError:
                pass
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


@dataclass(frozen=True)
class Counts:
    orders: int
    shipments: int
    scans: int
    duplicate_scans: int
    dead_lettered: int

    def lost_against(self, baseline: Counts) -> int:
        return (
            max(0, baseline.orders - self.orders)
            + max(0, baseline.shipments - self.shipments)
            + max(0, baseline.scans - self.scans)
        )


async def stored(database_url: str) -> tuple[int, int, int, int]:
    """Orders, shipments, scans and duplicated scans in order_watch's tables."""
    async with database(database_url, pool_size=1) as db, db.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM order_watch.orders),"
                    " (SELECT count(*) FROM order_watch.shipments),"
                    " (SELECT count(*) FROM order_watch.tracking_events),"
                    " (SELECT count(*) - count(DISTINCT (tracking_number, event_time, status))"
                    "  FROM order_watch.tracking_events)"
                )
            )
        ).one()
    return row[0], row[1], row[2], row[3]


async def dead_lettered(settings: ServiceSettings) -> int:
    """Records on every dead-letter topic of this prefix (as the worker's /metrics reports them)."""
    return sum((await dead_letter_depths(settings, TOPICS)).values())


async def count(database_url: str, settings: ServiceSettings) -> Counts:
    orders, shipments, scans, duplicates = await stored(database_url)
    return Counts(orders, shipments, scans, duplicates, await dead_lettered(settings))


async def settled(
    database_url: str, expected: tuple[int, int, int], *, timeout: float, quiet_for: float = 3.0
) -> float | None:
    """Seconds until the stored counts reach `expected` (then stay put for `quiet_for`), or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if (await stored(database_url))[:3] >= expected:
                reached = time.monotonic() - started
                await asyncio.sleep(quiet_for)  # anything still in flight would show up as a duplicate
                return reached
        await asyncio.sleep(0.5)
    return None


async def truncate(database_url: str) -> None:
    async with database(database_url, pool_size=1) as db, db.engine.begin() as connection:
        tables = (
            await connection.execute(
                text(
                    "SELECT schemaname, tablename FROM pg_tables"
                    " WHERE schemaname IN ('order_watch', 'carrier_adapter') AND tablename <> 'alembic_version'"
                )
            )
        ).all()
        await connection.execute(text("TRUNCATE " + ", ".join(f'"{s}"."{t}"' for s, t in tables)))


async def publish_paced(settings: ServiceSettings, events: list[Envelope[Any]], per_second: float) -> None:
    """Send events as the order system and warehouse would: a steady trickle, in small batches."""
    batch = max(1, int(per_second / 10))
    producer = make_producer(settings)
    await producer.start()
    try:
        for start in range(0, len(events), batch):
            await publish(producer, settings, events[start : start + batch])
            await asyncio.sleep(batch / per_second)
    finally:
        await producer.stop()


async def prepare_topics(settings: ServiceSettings) -> None:
    await ensure_topics(settings)


Fault = Callable[[Services, FlakyProxy], Awaitable[None]]
