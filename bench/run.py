"""`make bench`: backtest throughput and rule latency, next to this machine's own limits.

Measures, in one process and one run:

* machine: a tight pure-Python loop (additions/s) and JSON encode+decode of an event-sized
  document (round trips/s), so the numbers below can be read as ratios, not only raw rates;
* backtest: events/s of the in-process replay over a seeded simulation (target: 50,000), on one
  process and split by order over every core (`backtest.partition`);
* store floor: events/s of the replay's work before any rule runs (applying each event to the
  in-memory tables and building the snapshot of every order it touched): what the replay could
  reach if every rule took no time at all;
* rules: per-call latency of reconcile `evaluate()`, `next_check_at()` and `recovery_options()`
  on snapshots taken from that simulation.

Writes bench-results/bench.json and prints a table. Timings only — nothing here asserts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.order_watch.backtest.partition import available_cores, replay_parallel, worker_count
from services.order_watch.backtest.replay import Replay, no_cycle_collection
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.store import Store
from services.order_watch.promise import load_catalog, recovery_options
from services.order_watch.reconcile import evaluate, next_check_at

TARGET_EVENTS_PER_SECOND = 50_000


def loop_rate(iterations: int = 5_000_000) -> float:
    """Additions per second in a tight pure-Python loop."""
    started = time.perf_counter()
    total = 0
    for number in range(iterations):
        total += number
    return iterations / (time.perf_counter() - started)


def json_rate(document: dict[str, Any], rounds: int = 50_000) -> float:
    """JSON encode + decode round trips per second of one event-sized document."""
    started = time.perf_counter()
    for _ in range(rounds):
        json.loads(json.dumps(document))
    return rounds / (time.perf_counter() - started)


def backtest_rate(orders: int, seed: int, workers: int) -> dict[str, Any]:
    """Events/s of the replay on one process, and split by order over `workers` processes."""
    stream = simulate(SimulationConfig(orders=orders, seed=seed))
    load_catalog()
    # Parallel first: its workers fork from a process whose plan caches are still cold, like this one's.
    started = time.perf_counter()
    replay_parallel(stream.events, stream.origin_tz, workers)
    parallel_seconds = time.perf_counter() - started
    started = time.perf_counter()
    serial = Replay(stream.origin_tz).run(stream.events)
    serial_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with no_cycle_collection():  # as the replay runs
        _store_pass(stream.events, stream.origin_tz, keep=False)
    store_seconds = time.perf_counter() - started
    return {
        "orders": orders,
        "events": serial.events,
        "evaluations": serial.evaluations,
        "scheduled_checks": serial.scheduled_checks,
        "seconds": round(serial_seconds, 3),
        "events_per_second": round(serial.events / serial_seconds, 1),
        "evaluations_per_second": round(serial.evaluations / serial_seconds, 1),
        "workers": worker_count(len(stream.events), workers),  # what replay_parallel really used
        "parallel_seconds": round(parallel_seconds, 3),
        "parallel_events_per_second": round(serial.events / parallel_seconds, 1),
        "store_floor_events_per_second": round(serial.events / store_seconds, 1),
    }


def _store_pass(events: list[Any], origin_tz: str, keep: bool = True) -> list[tuple[Any, Any]]:
    """Apply each event to the replay's tables and snapshot the orders it touched, as the replay
    does before its rules run; returns the (snapshot, now) pairs when `keep`."""
    store, taken = Store(origin_tz), []
    for event in events:
        for order_id in store.apply_batch([event], event.occurred_at):
            snapshot = store.snapshot(order_id)
            if keep:
                taken.append((snapshot, event.occurred_at))
    return taken


def snapshots(orders: int, seed: int, limit: int) -> list[tuple[Any, Any]]:
    """(snapshot, now) pairs as the worker would evaluate them, from a seeded simulation."""
    stream = simulate(SimulationConfig(orders=orders, seed=seed))
    taken = _store_pass(stream.events, stream.origin_tz)
    step = max(1, len(taken) // limit)
    return taken[::step][:limit]


def fresh(state: Any) -> Any:
    """A copy of a snapshot without the facts earlier calls memoised on it (what the worker sees)."""
    return dataclasses.replace(state, shipments=tuple(dataclasses.replace(s) for s in state.shipments))


def latency(function: Any, samples: list[tuple[Any, Any]]) -> dict[str, float]:
    """Per-call latency in microseconds over the samples, each call on a fresh snapshot; with the
    mean CPU time of a call (process time), which others' load on a shared machine does not inflate."""
    timings, cpu = [], 0.0
    for state, now in samples:
        snapshot = fresh(state)
        cpu_started, started = time.process_time(), time.perf_counter()
        function(snapshot, now)
        timings.append((time.perf_counter() - started) * 1e6)
        cpu += time.process_time() - cpu_started
    timings.sort()
    return {
        "calls": len(timings),
        "cpu_mean_us": round(cpu / len(timings) * 1e6, 1),
        "mean_us": round(statistics.fmean(timings), 1),
        "p50_us": round(timings[len(timings) // 2], 1),
        "p95_us": round(timings[int(len(timings) * 0.95)], 1),
        "p99_us": round(timings[int(len(timings) * 0.99)], 1),
    }


def rule_latencies(samples: list[tuple[Any, Any]]) -> dict[str, Any]:
    catalog = load_catalog()

    def recover(state: Any, now: Any) -> Any:
        return recovery_options(
            catalog,
            now=now,
            promised_by=state.promised_by,
            current_expected_delivery=None,
            origin_tz=state.origin_tz,
            destination_tz=state.destination_tz,
            include_late=True,
        )

    def worker_pays(state: Any, now: Any) -> Any:
        return next_check_at(state, now, catalog, evaluate(state, now, catalog))

    return {
        "evaluate": latency(lambda state, now: evaluate(state, now, catalog), samples),
        "next_check_at": latency(lambda state, now: next_check_at(state, now, catalog), samples),
        "evaluate+next_check_at": latency(worker_pays, samples),
        "recovery_options": latency(recover, samples[:300]),
    }


def _per_event_costs(backtest: dict[str, Any], speedup: float) -> dict[str, float]:
    """Where one event's time goes on one process, in microseconds, next to what the target allows
    (its share of the target on every core, at the measured parallel `speedup`)."""
    total = 1e6 / backtest["events_per_second"]
    store = 1e6 / backtest["store_floor_events_per_second"]
    return {
        "budget_at_target": round(speedup * 1e6 / TARGET_EVENTS_PER_SECOND, 1),
        "total": round(total, 1),
        "store_and_snapshot": round(store, 1),
        "rules_and_scheduling": round(total - store, 1),
    }


def _document(seed: int) -> dict[str, Any]:
    """A real tracking envelope from the simulation: the size of what the replay handles."""
    events = simulate(SimulationConfig(orders=20, seed=seed)).events
    tracking = [event for event in events if event.event_type == "tracking.updated"]
    return json.loads(tracking[len(tracking) // 2].to_json_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000, help="orders in the throughput simulation")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=1_500, help="snapshots timed for rule latency")
    parser.add_argument("--out", type=Path, default=Path("bench-results/bench.json"))
    args = parser.parse_args(argv)
    samples = snapshots(min(args.orders, 200), args.seed, args.samples)
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": available_cores(),
        "loop_additions_per_second": round(loop_rate()),
        "json_round_trips_per_second": round(json_rate(_document(args.seed))),
    }
    backtest = backtest_rate(args.orders, args.seed, machine["cores"])
    rules = rule_latencies(samples)
    speedup = backtest["parallel_events_per_second"] / backtest["events_per_second"]
    ratios = {
        "events_per_second_vs_target": round(backtest["events_per_second"] / TARGET_EVENTS_PER_SECOND, 4),
        "parallel_events_per_second_vs_target": round(
            backtest["parallel_events_per_second"] / TARGET_EVENTS_PER_SECOND, 4
        ),
        "store_floor_vs_target": round(backtest["store_floor_events_per_second"] / TARGET_EVENTS_PER_SECOND, 4),
        "parallel_speedup": round(speedup, 2),
        "per_event_us": _per_event_costs(backtest, speedup),
        "loop_additions_per_event": round(machine["loop_additions_per_second"] / backtest["events_per_second"]),
        "json_round_trips_per_event": round(machine["json_round_trips_per_second"] / backtest["events_per_second"], 1),
        "evaluate_mean_in_json_round_trips": round(
            rules["evaluate"]["mean_us"] * machine["json_round_trips_per_second"] / 1e6, 1
        ),
    }
    results = {
        "machine": machine,
        "backtest": backtest,
        "rules": rules,
        "ratios": ratios,
        "target_events_per_second": TARGET_EVENTS_PER_SECOND,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(_table(results))
    print(f"wrote {args.out}")
    return 0


def _table(results: dict[str, Any]) -> str:
    machine, backtest, rules, ratios = results["machine"], results["backtest"], results["rules"], results["ratios"]
    rows = [
        ("machine: tight loop", f"{machine['loop_additions_per_second']:,} additions/s"),
        ("machine: json encode+decode", f"{machine['json_round_trips_per_second']:,} round trips/s"),
        (
            "backtest throughput",
            f"{backtest['events_per_second']:,.0f} events/s ({backtest['events']:,} events, "
            f"{backtest['seconds']} s, {backtest['evaluations']:,} evaluations)",
        ),
        (
            f"backtest on {backtest['workers']} process{'es' if backtest['workers'] > 1 else ''}",
            f"{backtest['parallel_events_per_second']:,.0f} events/s ({backtest['parallel_seconds']} s, "
            f"{ratios['parallel_speedup']}x one process, {machine['cores']} cores)",
        ),
        (
            "store floor (rules free)",
            f"{backtest['store_floor_events_per_second']:,.0f} events/s on one process "
            f"({ratios['store_floor_vs_target']:.1%} of target)",
        ),
        (
            "one event, one process",
            "{total} us = store+snapshot {store_and_snapshot} + rules, scheduling and alerts "
            "{rules_and_scheduling}; the target allows {budget_at_target} us".format(**ratios["per_event_us"]),
        ),
        (
            "target",
            f"{results['target_events_per_second']:,} events/s -> {ratios['events_per_second_vs_target']:.1%} "
            f"on one process, {ratios['parallel_events_per_second_vs_target']:.1%} on {backtest['workers']}",
        ),
        (
            "cost per event",
            f"{ratios['loop_additions_per_event']:,} loop additions = "
            f"{ratios['json_round_trips_per_event']} json round trips",
        ),
    ]
    for name, stats in rules.items():
        rows.append(
            (
                f"{name}() latency",
                f"mean {stats['mean_us']} us (cpu {stats['cpu_mean_us']}), p50 {stats['p50_us']}, "
                f"p95 {stats['p95_us']}, p99 {stats['p99_us']} ({stats['calls']} calls)",
            )
        )
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    raise SystemExit(main())
