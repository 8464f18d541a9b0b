"""Pipeline benchmark: label→alert latency through the real broker, worker and PostgreSQL while
other traffic (simulated orders, labels and scans) is offered at a steady rate, next to this
machine's own limits measured in the same run (a one-row PostgreSQL commit, a broker round trip).
The worker (`order-watch worker`) and the load generator each run in a process of their own, so
neither shares an interpreter with the probe that times the labels. Webhook intake is
`bench/intake.py` (a load generator in its own process).

    PYTHONPATH=. .venv/bin/python bench/pipeline.py [--offered 2000] [--orders 100] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.on_stack import run_on_stack, worker_processes
from bench.worker import backlog
from services.common.contracts import TOPICS
from services.common.kafka import confirm_topics, ensure_topics, make_producer
from services.common.publish import publish
from services.common.settings import ServiceSettings
from services.devstack.stack import Stack
from services.order_watch.settings import OrderWatchSettings
from tests.support.events import label_created, order_placed

ALERT_TIMEOUT_SECONDS = 120  # a worker that cannot keep up falls behind the offered traffic
OFFERED_SECONDS = 40  # simulated traffic for this long; probes stop when it runs out
FETCH_MAX_WAIT_MS = ServiceSettings().kafka_fetch_max_wait_ms  # the floor waits as the worker does


async def pg_commit_floor(database_url: str, commits: int) -> float:
    """One-row INSERT + COMMIT per transaction, the floor under a durable webhook answer."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await connection.execute("CREATE TEMP TABLE bench_floor (id bigserial, body text)")
    started = time.perf_counter()
    for _ in range(commits):
        async with connection.transaction():
            await connection.execute("INSERT INTO bench_floor (body) VALUES ($1)", "x" * 200)
    elapsed = time.perf_counter() - started
    await connection.close()
    return commits / elapsed


async def broker_round_trip(bootstrap: str, samples: int) -> float:
    """Median seconds from produce to consume of a tiny message."""
    topic = f"bench-rt-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    await asyncio.sleep(1)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        await producer.send_and_wait(topic, b"x")
        while not (await consumer.getmany(timeout_ms=1000)):
            pass
        timings.append(time.perf_counter() - started)
    await consumer.stop()
    await producer.stop()
    return statistics.median(timings)


async def label_to_alert(
    settings: OrderWatchSettings, orders: int, offered: int, work_dir: Path, workers: int = 1
) -> tuple[list[float], float]:
    """Seconds from publishing a downgraded label to its alert being committed (alert.opened_at),
    while a load generator publishes simulated traffic at `offered` events a second; returns them
    and the rate really offered."""
    spawning = multiprocessing.get_context("spawn")
    stop, started, rates = spawning.Event(), spawning.Event(), spawning.Queue()
    load = spawning.Process(
        target=offer_process,
        args=(settings.model_dump(), offered * OFFERED_SECONDS, offered, stop, started, rates),
    )
    # The probe publishes as a warehouse does, on a producer it keeps (started, topics confirmed):
    # a producer's start-up and metadata requests are not part of a label's way to its alert.
    producer = make_producer(settings)
    await producer.start()
    # The probe's poll is one prepared statement on one connection: through the ORM it took a
    # seventh of this machine's CPU (psutil, one run), which the worker then lacked.
    connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    opened_at = await connection.prepare("SELECT opened_at FROM order_watch.alerts WHERE order_id = $1")
    try:
        await confirm_topics(producer, {settings.topic(name) for name in TOPICS})
        with worker_processes(settings, work_dir / "pipeline-worker.log", workers):
            await asyncio.sleep(5)  # let the consumer group settle before timing
            load.start()
            if not await asyncio.to_thread(started.wait, 300):
                raise TimeoutError("the load generator did not start")
            try:
                latencies = []
                while len(latencies) < orders and load.is_alive():
                    latencies.append(await one_label_to_alert(settings, producer, opened_at))
            finally:
                stop.set()
            rate = await asyncio.to_thread(rates.get, True, 120)
            load.join(30)
    finally:
        await producer.stop()
        await connection.close()
    return latencies, rate


def offer_process(settings: dict[str, Any], events: int, rate: int, stop: Any, started: Any, rates: Any) -> None:
    """The load generator's process: simulate the traffic, then offer it until `stop` (or its end)."""
    traffic = backlog(events, seed=11)
    started.set()
    rates.put(asyncio.run(offer(OrderWatchSettings(**settings), traffic, rate, stop)))


async def offer(settings: OrderWatchSettings, traffic: list[Any], rate: int, stop: Any) -> float:
    """Publish `traffic` at `rate` events/s (in 50 ms ticks) until `stop` is set; returns the rate kept."""
    events = iter(traffic)
    producer = make_producer(settings)
    await producer.start()
    sent, started = 0, time.perf_counter()
    try:
        while not stop.is_set():
            due = int((time.perf_counter() - started) * rate) - sent
            tick = [event for _, event in zip(range(due), events, strict=False)]
            if due and not tick:
                break  # the simulated stream ran out
            await publish(producer, settings, tick, confirm=False)  # checked once, after the loop
            sent += len(tick)
            await asyncio.sleep(0.05)
        await confirm_topics(producer, {settings.topic(name) for name in TOPICS})
    finally:
        await producer.stop()
    return sent / (time.perf_counter() - started)


async def one_label_to_alert(
    settings: OrderWatchSettings, producer: AIOKafkaProducer, opened_at: asyncpg.prepared_stmt.PreparedStatement
) -> float:
    """Seconds from handing a downgraded label to the broker (its ack included) to its alert."""
    order_id = f"BENCH-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    placed = order_placed(order_id, placed_at=now - timedelta(hours=1), promised_by=now + timedelta(days=2))
    await publish(producer, settings, [placed], confirm=False)
    sent_at = datetime.now(UTC)
    label = label_created(order_id, created_at=sent_at, tracking_number=f"1Z{order_id}")
    await publish(producer, settings, [label], confirm=False)
    deadline = time.monotonic() + ALERT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        opened = await opened_at.fetchval(order_id)
        if opened is not None:
            return (opened - sent_at).total_seconds()
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no alert for {order_id} within {ALERT_TIMEOUT_SECONDS} s: is the worker failing?")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(stack: Stack, work_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    order_watch = OrderWatchSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=prefix,
        consumer_group=f"bench-{prefix}",
    )
    await ensure_topics(order_watch)
    floor_commit = await pg_commit_floor(stack.database_url, 2000)
    round_trip = await broker_round_trip(stack.bootstrap_servers, 30)
    latencies, offered = await label_to_alert(order_watch, args.orders, args.offered, work_dir, args.workers)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return {
        "workers": args.workers,
        "machine": {"pg_commits_per_s": round(floor_commit), "broker_round_trip_ms": round(round_trip * 1000, 2)},
        "label_to_alert": {
            "orders": len(latencies),
            "offered_events_per_s": round(offered),
            "p50_ms": round(p50 * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "p99_in_broker_round_trips": round(p99 / round_trip, 1),
            "within_one_second": sum(1 for value in latencies if value < 1.0) / len(latencies),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offered", type=int, default=2000, help="other events/s published meanwhile")
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="worker processes in one group (replicas)")
    parser.add_argument("--out", default="bench-results/pipeline.json")
    args = parser.parse_args()
    run_on_stack(
        lambda stack, work_dir: asyncio.run(measure(stack, work_dir, args)), args.out, lambda r: json.dumps(r, indent=2)
    )
