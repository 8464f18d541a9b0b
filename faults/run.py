"""`make faults`: break the running system in each way issue 13 lists, and count what was lost.

Each scenario runs the same deterministic workload (orders and labels through Kafka, scans as
signed webhooks a carrier retries until answered) against the services as real processes,
injects its fault under traffic, waits for the system to settle and compares what PostgreSQL
holds with a fault-free run of the same workload. It prints one table and exits non-zero if
anything was lost, doubled or dead-lettered.

    PYTHONPATH=. .venv/bin/python -m faults.run [--orders 300] [--rate 150] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from faults.harness import (
    SCAN_STATUSES,
    Carrier,
    Counts,
    FlakyProxy,
    Services,
    Workload,
    count,
    prepare_topics,
    publish_paced,
    settled,
    truncate,
)
from services.devstack.stack import Stack, start_stack

FaultStep = Callable[[Services, FlakyProxy, Stack], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: FaultStep
    workers: tuple[str, ...] = ("worker",)
    resend_share: float = 0.0  # webhooks a carrier sends twice
    events_twice: bool = False  # every Kafka event sent twice, shuffled
    between_halves: bool = False  # the fault strikes once the first half has settled, not under traffic


async def nothing(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
    return None


def kill_three_times(name: str) -> FaultStep:
    async def fault(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
        for _ in range(3):
            await asyncio.sleep(3)
            services.kill(name)
            await asyncio.sleep(0.5)
            services.start(name)

    return fault


def stop_postgres(seconds: float) -> FaultStep:
    async def fault(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
        await asyncio.sleep(3)
        await asyncio.to_thread(stack.postgres.stop)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(stack.postgres.start)

    return fault


def refuse_connections(seconds: float) -> FaultStep:
    async def fault(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
        await asyncio.sleep(3)
        await proxy.refuse_for(seconds)

    return fault


async def drop_connections(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
    for _ in range(3):
        await asyncio.sleep(2)
        proxy.drop_all()


async def restart_broker(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
    """The embedded broker keeps nothing: topics, messages and committed offsets start empty.
    The operator's step after it (README, Operations) is `ow-topics`, as at first start."""
    await asyncio.to_thread(stack.broker.restart)
    await prepare_topics(services.settings)


async def kill_one_of_two_workers(services: Services, proxy: FlakyProxy, stack: Stack) -> None:
    await asyncio.sleep(4)
    services.kill("worker-2")


def scenarios(long_outage: float) -> list[Scenario]:
    return [
        Scenario("no fault (baseline)", nothing),
        Scenario("SIGKILL the worker x3", kill_three_times("worker")),
        Scenario("SIGKILL the adapter relay x3", kill_three_times("adapter-relay")),
        Scenario(
            "every event twice, shuffled; 20 % of webhooks resent",
            nothing,
            resend_share=0.2,
            events_twice=True,
        ),
        Scenario("PostgreSQL stopped 30 s under traffic", stop_postgres(30)),
        Scenario(f"PostgreSQL stopped {long_outage:.0f} s", stop_postgres(long_outage)),
        Scenario("connections refused for 1.5 s", refuse_connections(1.5)),
        Scenario("every database connection dropped x3", drop_connections),
        Scenario("two workers in one group, one SIGKILLed", kill_one_of_two_workers, workers=("worker", "worker-2")),
        Scenario("broker restarted empty between two halves", restart_broker, between_halves=True),
    ]


@dataclass(frozen=True)
class Result:
    scenario: str
    counts: Counts
    lost: int
    duplicated: int
    dead_lettered: int
    refused_webhooks: int
    recovery_seconds: float | None

    @property
    def clean(self) -> bool:
        return self.recovery_seconds is not None and not (
            self.lost or self.duplicated or self.dead_lettered or self.refused_webhooks
        )


def _traffic(workload: Workload, scenario: Scenario, orders: range) -> tuple[list, list[bytes]]:
    events, scans = workload.order_events(orders), workload.scans(orders)
    rng = random.Random(workload.seed)
    if scenario.events_twice:
        doubled = [event for event in events for _ in range(2)]
        events = []
        for start in range(0, len(doubled), 40):  # shuffled within windows: late and early, never days off
            window = doubled[start : start + 40]
            rng.shuffle(window)
            events.extend(window)
    if scenario.resend_share:
        scans = scans + [body for body in scans if rng.random() < scenario.resend_share]
    return events, scans


async def run_one(
    stack: Stack, proxy: FlakyProxy, work_dir: Path, workload: Workload, scenario: Scenario, rate: float
) -> Result:
    direct_url = stack.database_url
    await truncate(direct_url)
    services = Services(stack, proxy_url(stack, proxy), f"f{uuid.uuid4().hex[:8]}.", work_dir)
    await prepare_topics(services.settings)
    for name in ("adapter", "adapter-relay", *scenario.workers):
        services.start(name)
    carrier = Carrier(f"http://127.0.0.1:{services.adapter_port}")
    expected = (workload.orders, workload.orders, len(workload.scans()))

    async def traffic(orders: range) -> None:
        events, scans = _traffic(workload, scenario, orders)
        await asyncio.gather(
            publish_paced(services.settings, events, rate), carrier.deliver(scans, rate * len(scans) / len(events))
        )

    try:
        if scenario.between_halves:
            half = workload.orders // 2
            await traffic(range(half))
            await settled(direct_url, (half, half, half * len(SCAN_STATUSES)), timeout=120, quiet_for=1)
            await scenario.fault(services, proxy, stack)
            await traffic(range(half, workload.orders))
        else:
            fault = asyncio.create_task(scenario.fault(services, proxy, stack))
            await traffic(range(workload.orders))
            await fault
        recovery = await settled(direct_url, expected, timeout=180)
        counts = await count(direct_url, services.settings)
    finally:
        services.stop_all()
    baseline = Counts(*expected, duplicate_scans=0, dead_lettered=0)
    duplicated = counts.duplicate_scans + max(0, counts.scans - baseline.scans)
    return Result(
        scenario.name,
        counts,
        counts.lost_against(baseline),
        duplicated,
        counts.dead_lettered,
        carrier.refused,
        None if recovery is None else round(recovery, 1),
    )


def proxy_url(stack: Stack, proxy: FlakyProxy) -> str:
    return stack.database_url.replace(f":{stack.postgres.port}/", f":{proxy.port}/")


def table(results: list[Result]) -> str:
    header = "| fault | lost | duplicated | dead-lettered | webhooks refused | settled after (s) |"
    lines = [header, "|---|---|---|---|---|---|"]
    for result in results:
        settled_after = "never" if result.recovery_seconds is None else f"{result.recovery_seconds}"
        lines.append(
            f"| {result.scenario} | {result.lost} | {result.duplicated} | {result.dead_lettered}"
            f" | {result.refused_webhooks} | {settled_after} |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    workload = Workload(orders=args.orders)
    work_dir = Path(tempfile.mkdtemp(prefix="faults-"))
    stack = await asyncio.to_thread(start_stack, work_dir)  # migrations run their own event loop
    proxy = FlakyProxy(stack.postgres.port)
    await proxy.start()
    results: list[Result] = []
    try:
        for scenario in scenarios(args.long_outage):
            if args.only and not any(word.lower() in scenario.name.lower() for word in args.only):
                continue
            started = time.monotonic()
            result = await run_one(stack, proxy, work_dir, workload, scenario, args.rate)
            results.append(result)
            verdict = "ok" if result.clean else "FAILED"
            print(f"{verdict:6} {scenario.name} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        await proxy.close()
        stack.broker.stop()
        stack.postgres.stop()
    print()
    print(
        f"{workload.orders} orders, {workload.orders} labels, {len(workload.scans())} scans per run; logs in {work_dir}"
    )
    print(table(results))
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "faults.json").write_text(json.dumps([asdict(result) for result in results], indent=2, default=str))
    return 0 if results and all(result.clean for result in results) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders in the workload (each: label + 4 scans)")
    parser.add_argument("--rate", type=float, default=60, help="Kafka events per second offered")
    parser.add_argument("--long-outage", type=float, default=120, help="seconds of the long PostgreSQL stop")
    parser.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these words")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
