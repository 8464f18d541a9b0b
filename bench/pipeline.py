"""Pipeline benchmark: webhook intake throughput and label→alert latency, through the real
broker and PostgreSQL, each reported as a ratio of this machine's own limits measured in the
same run (a trivial HTTP endpoint on the same server stack, a one-row PostgreSQL commit, a
broker round trip).

    .venv/bin/python bench/pipeline.py [--webhooks 2000] [--orders 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.carrier_adapter.app import create_app as create_adapter_app
from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.settings import CarrierAdapterSettings
from services.common.clock import SystemClock
from services.common.db import database
from services.common.kafka import ensure_topics
from services.common.publish import send
from services.common.settings import ServiceSettings
from services.devstack.stack import Stack, start_stack
from services.order_watch.alerts.models import Alert
from services.order_watch.settings import OrderWatchSettings
from services.order_watch.worker import run_worker
from tests.support.events import label_created, order_placed
from tests.support.servers import background, serving

ALERT_TIMEOUT_SECONDS = 30
FETCH_MAX_WAIT_MS = ServiceSettings().kafka_fetch_max_wait_ms  # the floor waits as the worker does
SECRET = "whsec_YmVuY2htYXJrLXNlY3JldC1mb3ItZ2VuZXJpYw=="


async def http_floor(client: httpx.AsyncClient, requests: int, concurrency: int) -> float:
    """Requests/s of a do-nothing POST endpoint on the same uvicorn + FastAPI stack."""
    app = FastAPI()

    @app.post("/noop")
    async def noop() -> dict[str, str]:
        return {"ok": "yes"}

    async with serving(app) as url:
        return await rate(lambda i: client.post(f"{url}/noop", content=b"{}"), requests, concurrency)


async def rate(call, requests: int, concurrency: int) -> float:  # type: ignore[no-untyped-def]
    queue = iter(range(requests))

    async def worker() -> None:
        for index in queue:
            response = await call(index)
            assert response.status_code < 300, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


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


def signed(body: bytes) -> dict[str, str]:
    headers, _ = all_sources()["generic"].sign_request(body, SECRET, datetime.now(UTC))
    return {**headers, "content-type": "application/json"}


async def intake_rate(
    settings: CarrierAdapterSettings, client: httpx.AsyncClient, requests: int, concurrency: int
) -> float:
    now = datetime.now(UTC)

    def body(index: int) -> bytes:
        scan = {
            "carrier": "ups",
            "tracking_number": f"1ZBENCH{uuid.uuid4().hex[:10]}",
            "status": "in_transit",
            "event_time": (now - timedelta(seconds=index)).isoformat(),
        }
        return json.dumps(scan).encode()

    async with serving(create_adapter_app(settings)) as url:

        async def post(index: int) -> httpx.Response:
            payload = body(index)
            return await client.post(f"{url}/webhooks/generic", content=payload, headers=signed(payload))

        return await rate(post, requests, concurrency)


async def label_to_alert(settings: OrderWatchSettings, orders: int) -> list[float]:
    """Seconds from publishing a downgraded label to its alert being committed (alert.opened_at)."""
    async with (
        database(settings.database_url) as db,
        background(lambda stop: run_worker(settings, db.sessions, SystemClock(), stop)),
    ):
        await asyncio.sleep(5)  # let the consumer group settle before timing
        return [await one_label_to_alert(settings, db.sessions) for _ in range(orders)]


async def one_label_to_alert(settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession]) -> float:
    order_id = f"BENCH-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    await send(
        settings, [order_placed(order_id, placed_at=now - timedelta(hours=1), promised_by=now + timedelta(days=2))]
    )
    sent_at = datetime.now(UTC)
    await send(settings, [label_created(order_id, created_at=sent_at, tracking_number=f"1Z{order_id}")])
    deadline = time.monotonic() + ALERT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        async with sessions() as session:
            opened = await session.scalar(select(Alert.opened_at).where(Alert.order_id == order_id))
        if opened is not None:
            return (opened - sent_at).total_seconds()
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no alert for {order_id} within {ALERT_TIMEOUT_SECONDS} s: is the worker failing?")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, object]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    adapter = CarrierAdapterSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=prefix,
        webhook_secrets={"generic": SECRET},
    )
    order_watch = OrderWatchSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        kafka_topic_prefix=prefix,
        consumer_group=f"bench-{prefix}",
    )
    await ensure_topics(order_watch)
    async with httpx.AsyncClient(timeout=30) as client:
        floor_http = await http_floor(client, args.webhooks, args.concurrency)
        intake = await intake_rate(adapter, client, args.webhooks, args.concurrency)
    floor_commit = await pg_commit_floor(stack.database_url, args.webhooks)
    round_trip = await broker_round_trip(stack.bootstrap_servers, 30)
    latencies = await label_to_alert(order_watch, args.orders)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return {
        "machine": {
            "http_noop_rps": round(floor_http),
            "pg_commits_per_s": round(floor_commit),
            "broker_round_trip_ms": round(round_trip * 1000, 2),
        },
        "webhook_intake": {
            "accepted_per_s": round(intake),
            "concurrency": args.concurrency,
            "ratio_to_http_noop": round(intake / floor_http, 3),
            "ratio_to_pg_commit": round(intake / floor_commit, 3),
        },
        "label_to_alert": {
            "orders": len(latencies),
            "p50_ms": round(p50 * 1000, 1),
            "p95_ms": round(p95 * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "p95_in_broker_round_trips": round(p95 / round_trip, 1),
            "within_one_second": sum(1 for value in latencies if value < 1.0) / len(latencies),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--out", default="bench-results/pipeline.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ow-bench-") as work_dir:
        stack = start_stack(Path(work_dir), durable=True)  # outside the loop: alembic runs its own
        try:
            result = asyncio.run(measure(stack, args))
        finally:
            stack.broker.stop()
            stack.postgres.stop()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
