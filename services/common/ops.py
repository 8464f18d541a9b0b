"""The operations port of a long-running process (worker, relays, scheduler, notifier).

Each such process serves `/healthz`, `/readyz` and `/metrics` on a port of its own (a setting per
role), so what it counts in memory is visible and its readiness includes its own stalls. Samplers
turn state that lives in PostgreSQL or the broker (consumer lag, outbox backlog, …) into gauges
every `OPS_SAMPLE_SECONDS`; a failed sample is counted and logged, and the process carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import Database, database
from services.common.health import health_router
from services.common.http_metrics import HttpMetrics, Instrumentation
from services.common.lifecycle import sleep_or_stop
from services.common.metrics import (
    CONSUMER_LAG,
    DLQ_MESSAGES,
    OUTBOX_OLDEST_SECONDS,
    OUTBOX_UNSENT,
    SAMPLE_FAILURES,
)
from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

Sampler = Callable[[Database], Awaitable[None]]


@dataclass(frozen=True)
class Ops:
    """What a process serves on its operations port: its role, the port and the setting that moves it, its samplers."""

    role: str
    port: int
    setting: str
    samplers: Sequence[Sampler] = field(default_factory=tuple)


class PortTaken(OSError):
    """The operations port is in use (another process, or a second copy of this one)."""


class GaugeTable:
    """A labelled gauge set from a query each round: series that vanished go to 0, not stale.

    `known` label sets are always reported (0 until seen), so a dashboard shows every rule or
    channel before its first event.
    """

    def __init__(self, gauge: Gauge, known: Iterable[tuple[str, ...]] = ()) -> None:
        self.gauge = gauge
        self.seen: set[tuple[str, ...]] = set(known)
        for labels in self.seen:
            gauge.labels(*labels).set(0)

    def update(self, values: Mapping[tuple[str, ...], float]) -> None:
        self.seen |= set(values)
        for labels in self.seen:
            self.gauge.labels(*labels).set(values.get(labels, 0))


class _OpsServer(uvicorn.Server):
    """uvicorn inside a daemon's loop: the daemon owns SIGINT/SIGTERM, so uvicorn must not take them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def instrument_http(app: FastAPI, *extra: Instrumentation) -> None:
    """Request counts, sizes and latency by route template and status class (`http_request_*`)."""
    app.add_middleware(HttpMetrics, extra=extra)


def ops_app(settings: ServiceSettings, engine: Callable[[], AsyncEngine]) -> FastAPI:
    """Only the operations routes: a daemon has no API to document."""
    app = FastAPI(title="Order Watch operations", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(settings, engine))
    return app


@contextlib.asynccontextmanager
async def serving_ops(settings: ServiceSettings, ops: Ops) -> AsyncIterator[str]:
    """Serve the operations port and run the samplers for the length of the block; yields the base URL."""
    listener = _bind(ops, settings.ops_host)
    async with database(settings.database_url, pool_size=1) as db:
        config = uvicorn.Config(ops_app(settings, lambda: db.engine), log_config=None, access_log=False)
        server = _OpsServer(config)
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        stop = asyncio.Event()
        sampling = [asyncio.create_task(_sample_until(stop, settings, sampler, db)) for sampler in ops.samplers]
        log.info("operations port open", extra={"role": ops.role, "port": ops.port})
        try:
            yield f"http://{settings.ops_host}:{ops.port}"
        finally:
            stop.set()
            server.should_exit = True
            await asyncio.gather(serving, *sampling, return_exceptions=True)


def _bind(ops: Ops, host: str) -> socket.socket:
    """Bind here rather than in uvicorn, which would exit the process on a taken port without naming it."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, ops.port))
    except OSError as exc:
        listener.close()
        where = f"{host}:{ops.port}"
        raise PortTaken(f"{ops.role} cannot serve operations on {where} ({exc.strerror}); set {ops.setting}") from None
    return listener


async def _sample_until(stop: asyncio.Event, settings: ServiceSettings, sampler: Sampler, db: Database) -> None:
    name = getattr(sampler, "__name__", type(sampler).__name__)
    while not stop.is_set():
        try:
            await asyncio.wait_for(sampler(db), timeout=max(settings.ops_sample_seconds, 5.0))
        except Exception as exc:
            SAMPLE_FAILURES.labels(sampler=name).inc()
            log.warning("metrics sample failed", extra={"sampler": name, "error": repr(exc)})
        await sleep_or_stop(stop, settings.ops_sample_seconds)


def outbox_backlog(model: type[Any], service: str) -> Sampler:
    """Unsent outbox rows and the age of the oldest: a relay that is behind or stuck shows here."""

    async def outbox_backlog(db: Database) -> None:
        async with db.sessions() as session:
            count, oldest = (
                await session.execute(select(func.count(), func.min(model.created_at)).where(model.sent_at.is_(None)))
            ).one()
        OUTBOX_UNSENT.labels(service=service).set(count)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST_SECONDS.labels(service=service).set(max(age, 0.0))

    return outbox_backlog


def consumer_lag(settings: ServiceSettings, group: str, topics: Collection[str]) -> Sampler:
    """The group's lag per partition (end offset minus committed) and each dead-letter topic's depth.

    Read from the broker with a consumer that joins no group, so it sees the whole group's
    position whichever replica owns a partition. A partition the group never committed counts
    from its first offset, where the worker would start (`auto_offset_reset=earliest`).
    """

    async def consumer_lag(db: Database) -> None:
        async with _probe(settings, group) as probe:
            listed = await probe.topics()
            lag = await _lag(probe, [settings.topic(t) for t in topics if settings.topic(t) in listed])
            dead = await _dead_letter_depths(probe, settings, topics, listed)
        for (topic, partition), value in lag.items():
            CONSUMER_LAG.labels(group=group, topic=topic, partition=str(partition)).set(value)
        for topic, value in dead.items():
            DLQ_MESSAGES.labels(topic=topic).set(value)

    return consumer_lag


async def group_lag(settings: ServiceSettings, group: str, topic: str) -> int:
    """Messages of a contract topic the group has not committed yet, over all its partitions."""
    async with lag_watch(settings, group, [topic]) as lag:
        return await lag()


@contextlib.asynccontextmanager
async def lag_watch(
    settings: ServiceSettings, group: str, topics: Collection[str]
) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Yields a function returning the group's lag over contract `topics` the broker lists, summed,
    read through one broker connection however often it is called (a drain to wait for; a
    database count would grow with the data and compete with the consumer for it)."""
    async with _probe(settings, group) as probe:
        listed = await probe.topics()
        names = [settings.topic(topic) for topic in topics if settings.topic(topic) in listed]

        async def total() -> int:
            return sum((await _lag(probe, names)).values())

        yield total


async def dead_letter_depths(settings: ServiceSettings, topics: Collection[str]) -> dict[str, int]:
    """Records on each contract topic's dead-letter topic, by physical name (those the broker lists)."""
    async with _probe(settings, None) as probe:
        return await _dead_letter_depths(probe, settings, topics, await probe.topics())


async def _dead_letter_depths(
    probe: AIOKafkaConsumer, settings: ServiceSettings, topics: Collection[str], listed: Collection[str]
) -> dict[str, int]:
    return await _end_totals(
        probe, [settings.topic(f"{t}.dlq") for t in topics if settings.topic(f"{t}.dlq") in listed]
    )


@contextlib.asynccontextmanager
async def _probe(settings: ServiceSettings, group: str | None) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer that reads a group's committed offsets without joining it."""
    probe = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        request_timeout_ms=5_000,
    )
    try:
        await probe.start()  # inside the try: a consumer that failed to start still needs closing
        yield probe
    finally:
        await probe.stop()


def _partitions(probe: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for topic in topics for p in sorted(probe.partitions_for_topic(topic) or ())]


async def _lag(probe: AIOKafkaConsumer, topics: list[str]) -> dict[tuple[str, int], int]:
    partitions = _partitions(probe, topics)
    if not partitions:
        return {}
    ends = await probe.end_offsets(partitions)
    starts = await probe.beginning_offsets(partitions)
    lag = {}
    for tp in partitions:
        committed = await probe.committed(tp)
        lag[(tp.topic, tp.partition)] = max(ends[tp] - (committed if committed is not None else starts[tp]), 0)
    return lag


async def _end_totals(probe: AIOKafkaConsumer, topics: list[str]) -> dict[str, int]:
    partitions = _partitions(probe, topics)
    if not partitions:
        return {}
    ends = await probe.end_offsets(partitions)
    starts = await probe.beginning_offsets(partitions)
    totals = dict.fromkeys(topics, 0)
    for tp in partitions:
        totals[tp.topic] += ends[tp] - starts[tp]
    return totals
