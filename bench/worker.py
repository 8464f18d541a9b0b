"""Worker backlog benchmark: how fast `order-watch worker` — its own process, as in production —
drains a pre-loaded backlog of simulated orders, labels and scans through the real broker and
PostgreSQL, at two data sizes (the second four times the first), each next to this machine's
floors measured in the same run, with the worker's own CPU per event beside it (read that on a
machine other jobs are using: the wall-clock rate falls with them, the CPU per event much less):

* consume + decode: a bare consumer group reading the same backlog and decoding every envelope;
* bulk insert: 500-row `INSERT … ON CONFLICT DO NOTHING` transactions, one row per event.

Each size runs on a fresh database of its own, so the larger run shows whether the cost of a
batch grows with the data already stored. Timings only — nothing here asserts; each size also
prints a digest of the cases in force it leaves, to compare a `--workers 2` run with a one-worker run.

    PYTHONPATH=. .venv/bin/python bench/worker.py [--events 25000] [--scale 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer

from bench.intake import cpu_seconds
from bench.on_stack import run_on_stack, worker_processes
from services.common.contracts import decode_event
from services.common.kafka import ensure_topics, make_producer
from services.common.migrations import upgrade
from services.common.ops import lag_watch
from services.common.publish import publish
from services.devstack.stack import Stack
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import CONSUMED_TOPICS

BATCH = 500
DRAIN_TIMEOUT_SECONDS = 900
ORDERS_PER_DAY = 50


def backlog(events: int, seed: int) -> list[Any]:
    """About `events` simulated events (whole orders), in event-time order, ending a week ago.

    Orders per day stay the same at every size (days grow with the backlog), so each order's
    life, and the alerts it raises, look alike at both sizes.
    """
    per_order = len(simulate(SimulationConfig(orders=200, seed=seed)).events) / 200
    orders = max(1, round(events / per_order))
    days = max(7, round(orders / ORDERS_PER_DAY))
    start = datetime.now(UTC).date() - timedelta(days=days + 7)
    return simulate(SimulationConfig(orders=orders, seed=seed, days=days, start=start)).events


def fresh_database(stack: Stack, name: str) -> str:
    """A new, migrated database on the stack's server; returns its URL."""
    stack.postgres.psql(f'CREATE DATABASE "{name}"')
    url = stack.database_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade("services.order_watch", url)
    return url


async def load(settings: OrderWatchSettings, events: list[Any]) -> None:
    await ensure_topics(settings)  # as make run and compose do first: publish() refuses unlisted topics
    producer = make_producer(settings)
    await producer.start()
    try:
        for start in range(0, len(events), 5_000):
            await publish(producer, settings, events[start : start + 5_000])
    finally:
        await producer.stop()


async def consume_floor(settings: OrderWatchSettings, expected: int) -> float:
    """Events/s of a bare consumer group reading and decoding the whole backlog."""
    names = {settings.topic(name): name for name in CONSUMED_TOPICS}
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"floor-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )
    await consumer.start()
    seen, started = 0, None
    try:
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            if batch and started is None:
                started = time.perf_counter()
            for records in batch.values():
                for record in records:
                    decode_event(names[record.topic], record.value or b"")
                    seen += 1
    finally:
        await consumer.stop()
    assert started is not None
    return seen / (time.perf_counter() - started)


async def insert_floor(database_url: str, rows: int) -> float:
    """Rows/s of 500-row `INSERT … ON CONFLICT DO NOTHING` transactions (the processed-ids shape)."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await connection.execute(
        "CREATE TABLE bench_floor (event_id uuid PRIMARY KEY, event_type text, processed_at timestamptz)"
    )
    now = datetime.now(UTC)
    started = time.perf_counter()
    for _ in range(0, rows, BATCH):
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO bench_floor SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])"
                " ON CONFLICT DO NOTHING",
                [uuid.uuid4() for _ in range(BATCH)],
                ["tracking.updated"] * BATCH,
                [now] * BATCH,
            )
    elapsed = time.perf_counter() - started
    await connection.execute("DROP TABLE bench_floor")
    await connection.close()
    return rows / elapsed


async def drain(
    settings: OrderWatchSettings, expected: int, log_path: Path, postgres: psutil.Process, workers: int = 1
) -> dict[str, Any]:
    """Run `order-watch worker` (its own process) over the backlog; time from its first batch to
    the last event's commit (the group's lag on the broker reaching zero), and the CPU the worker
    process and PostgreSQL (all its processes) spent meanwhile. Polled on the broker, not by
    counting rows: a count scans the table, so it would cost the database more the more data the
    run holds."""
    with worker_processes(settings, log_path, workers) as worker:  # the CPU reported is the first one's
        async with lag_watch(settings, settings.consumer_group, CONSUMED_TOPICS) as lag:
            deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
            cpu_at_start = pg_at_start = None
            while (left := await lag()) > 0:
                if cpu_at_start is None and left < expected:
                    cpu_at_start = cpu_seconds(worker)  # its start-up (imports, connections) is not the drain
                    pg_at_start = cpu_seconds(postgres, with_children=True)
                if not worker.is_running():
                    raise RuntimeError(f"the worker stopped: see {log_path}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the worker did not drain the backlog: see {log_path}")
                # Each poll is a score of requests to the broker the worker fetches from: rarely while
                # much is left, often over the last two batches, where the end is timed.
                await asyncio.sleep(0.02 if left <= 2 * settings.worker_max_batch else 0.25)
            finished = datetime.now(UTC)
            cpu = cpu_seconds(worker) - (cpu_at_start or 0.0)
            # Read before the worker stops: its backends end with it.
            pg_cpu = cpu_seconds(postgres, with_children=True) - (pg_at_start or 0.0)
    connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    processed = await connection.fetchval("SELECT count(*) FROM order_watch.processed_events")
    if processed != expected:
        raise RuntimeError(f"the group committed past the backlog but {processed} of {expected} events are stored")
    first = await connection.fetchval("SELECT min(processed_at) FROM order_watch.processed_events")
    counts = {
        table: await connection.fetchval(f"SELECT count(*) FROM order_watch.{table}")
        for table in ("orders", "tracking_events", "alerts", "tasks", "audit_entries", "outbox")
    }
    cases = await cases_digest(connection)
    await connection.close()
    seconds = (finished - first).total_seconds()
    return {
        "events": expected,
        "seconds": round(seconds, 2),
        "events_per_second": round(expected / seconds),
        "worker_cpu_ms_per_event": round(1000 * cpu / expected, 3),
        "postgres_cpu_ms_per_event": round(1000 * pg_cpu / expected, 3),
        **counts,
        "cases_digest": cases,
    }


async def cases_digest(connection: asyncpg.Connection) -> str:
    """A digest of the cases in force as the backlog leaves them (each one's order, rule, status,
    severity and findings): the same backlog drained by one worker or by several must leave the
    same. Resolved cases are left out: how the broker interleaves the topics into batches may
    legitimately raise and clear one on the way, or resolve it at another severity."""
    rows = await connection.fetch(
        "SELECT order_id, rule, status, severity,"
        " (SELECT string_agg(f->>'rule' || ':' || (f->>'severity'), ',' ORDER BY f->>'rule', f->>'severity')"
        "  FROM jsonb_array_elements(findings) f) AS findings"
        " FROM order_watch.alerts WHERE status <> 'resolved' ORDER BY order_id, rule, status, severity, findings"
    )
    text = "\n".join("|".join(str(value) for value in row.values()) for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def one_size(stack: Stack, events: list[Any], name: str, work_dir: Path, workers: int = 1) -> dict[str, Any]:
    url = await asyncio.to_thread(fresh_database, stack, name)  # alembic runs its own loop
    settings = OrderWatchSettings(
        database_url=url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=f"{name}.",
        consumer_group=f"{name}-worker",
    )
    await load(settings, events)
    count = len(events)
    # The backlog now lives on the broker; a worker process would not hold it in memory (nor
    # spend its garbage collections walking it), so this one does not either.
    events.clear()
    gc.collect()
    consume = await consume_floor(settings, count)
    insert = await insert_floor(url, count)
    postgres = psutil.Process(stack.postgres.process.pid)  # type: ignore[union-attr]
    worker = await drain(settings, count, work_dir / f"{name}-worker.log", postgres, workers)
    floor = min(consume, insert)
    return {
        **worker,
        "floor_consume_decode_per_s": round(consume),
        "floor_bulk_insert_rows_per_s": round(insert),
        "ratio_to_floor": round(worker["events_per_second"] / floor, 3),
        # The work a backlog makes besides storing events: alerts raised, changed and resolved (and
        # tasks), each with its audit entry and outbox row. It varies with how the broker interleaves
        # the three topics, so read the rates next to it.
        "alert_and_task_changes_per_event": round(worker["audit_entries"] / worker["events"], 3),
    }


async def measure(stack: Stack, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    small = await one_size(stack, backlog(args.events, args.seed), "bench_small", work_dir, args.workers)
    large = await one_size(
        stack, backlog(args.events * args.scale, args.seed + 1), "bench_large", work_dir, args.workers
    )
    return {
        "workers": args.workers,
        "small": small,
        "large": large,
        "large_over_small_rate": round(large["events_per_second"] / small["events_per_second"], 3),
        "large_over_small_ratio_to_floor": round(large["ratio_to_floor"] / small["ratio_to_floor"], 3),
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        "worker backlog: events/s next to the lower floor (consume + decode, bulk insert) of the same run",
        f"{'size':<8}{'events':>9}{'ev/s':>9}{'floor':>9}{'ratio':>8}{'cpu ms/ev':>11}{'pg ms/ev':>10}"
        f"{'changes/ev':>12}",
    ]
    for size in ("small", "large"):
        row = result[size]
        floor = min(row["floor_consume_decode_per_s"], row["floor_bulk_insert_rows_per_s"])
        lines.append(
            f"{size:<8}{row['events']:>9}{row['events_per_second']:>9}{floor:>9}{row['ratio_to_floor']:>8.3f}"
            f"{row['worker_cpu_ms_per_event']:>11.3f}{row['postgres_cpu_ms_per_event']:>10.3f}"
            f"{row['alert_and_task_changes_per_event']:>12.3f}"
        )
    lines.append(
        f"large / small: rate {result['large_over_small_rate']:.3f}, ratio to floor "
        f"{result['large_over_small_ratio_to_floor']:.3f} (flat is 1.0)"
    )
    lines.append(
        f"cases in force ({result['workers']} worker(s)): small {result['small']['cases_digest']}, "
        f"large {result['large']['cases_digest']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=25_000, help="backlog of the smaller run")
    parser.add_argument("--scale", type=int, default=4, help="the larger run's backlog, as a multiple")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="worker processes in one group (replicas)")
    parser.add_argument("--out", default="bench-results/worker.json")
    args = parser.parse_args()
    run_on_stack(lambda stack, work_dir: asyncio.run(measure(stack, work_dir, args)), args.out, report)
