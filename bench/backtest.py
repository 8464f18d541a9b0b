"""Backtest benchmark: replay speed on a simulated and on an imported history, and the peak memory
of a whole `ow-backtest` run (every process), next to this machine's own floors from the same run.

* machine: the tight-loop and JSON round-trip rates of `bench/run.py`, so the rates below can be
  read as ratios on a machine that is busy or slow;
* simulated: events/s of the replay `ow-backtest` times (learned on the first half, split by order
  over every core), and on one process for the speed-up; beside each, events per CPU second (this
  process and its workers), which another job on the machine lowers much less than the wall-clock
  rate (only through shared caches and cores): the rate on N idle cores is at most N times it;
* imported: the same over a CSV written from another seed's simulation (order rows and scan rows,
  as a shop would export them) and read back by the importer;
* memory: `ow-backtest` as its own process over larger simulated histories (at the same orders
  per day), its process tree sampled every 50 ms; the peak of the summed RSS (and of the summed
  PSS, which counts a page shared by forked workers once), per 1,000 orders, and how many orders
  the replay held at once. With two sizes or more, the peak's growth per 1,000 more orders between
  the two largest, and the peak a million orders would reach at that growth.

The timed replays read their stream from a spool on disk (`backtest/spool.py`), as `ow-backtest`
does. Writes bench-results/backtest-speed.json. Timings only — nothing here asserts.

    PYTHONPATH=. .venv/bin/python bench/backtest.py [--orders 10000] [--memory-orders 20000 80000]
    PYTHONPATH=. .venv/bin/python bench/backtest.py --memory-only --memory-orders 50000 200000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.run import json_rate, loop_rate
from services.common.contracts import Envelope
from services.order_watch.backtest.importer import COLUMNS, parse_history
from services.order_watch.backtest.learn import default_split, fit_until, placed_instants
from services.order_watch.backtest.partition import available_cores, replay_parallel, worker_count
from services.order_watch.backtest.replay import Scoring
from services.order_watch.backtest.simulator import SimulationConfig, simulate, simulate_into
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.truth import Stream
from services.order_watch.promise import Catalog, load_catalog

TARGET_EVENTS_PER_SECOND = 10_000
TARGET_PEAK_MB_PER_MILLION_ORDERS = 1_500
SAMPLE_SECONDS = 0.05


def learned_catalog(stream: Stream) -> tuple[Catalog, Scoring]:
    """The catalog `ow-backtest` replays with (learned on the first half of the stream), and its scoring."""
    catalog = load_catalog()
    split = default_split(stream.events)
    return catalog.with_learning(fit_until(stream.events, stream.origin_tz, split, catalog)), Scoring(
        stream.truths, split
    )


def replay_rate(stream: Stream, workers: int, one_process: bool) -> dict[str, Any]:
    """Events/s of the replay on `workers` processes (and on one, when asked), as the CLI runs it."""
    catalog, scoring = learned_catalog(stream)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = replay_parallel(stream.events, stream.origin_tz, workers, catalog=catalog, scoring=scoring)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    row: dict[str, Any] = {
        "orders": len(placed_instants(stream.events)),
        "events": result.events,
        "workers": worker_count(len(stream.events), workers),
        "seconds": round(seconds, 2),
        "events_per_second": round(result.events / seconds),
        "events_per_cpu_second": round(result.events / cpu),
        "peak_orders_held": result.peak_orders_held,
    }
    if one_process:
        started, cpu = time.perf_counter(), cpu_seconds()
        replay_parallel(stream.events, stream.origin_tz, 1, catalog=catalog, scoring=scoring)
        serial, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        row["one_process_events_per_second"] = round(result.events / serial)
        row["one_process_events_per_cpu_second"] = round(result.events / cpu)
        row["speedup"] = round(serial / seconds, 2)
    return row


def cpu_seconds() -> float:
    """CPU time of this process and of its workers that have exited (the pool's, once it closes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def history_csv(stream: Stream) -> str:
    """A simulated history as a shop's export: one order row per order, one scan row per scan."""
    assert stream.truths is not None, "a listed stream (`simulate`), whose truths are at hand"
    placed = {e.payload.order_id: e.payload for e in stream.events if e.event_type == "order.placed"}
    labels = {e.payload.order_id: e.payload for e in stream.events if e.event_type == "shipment.label_created"}
    order_of = {(label.carrier, label.tracking_number): order_id for order_id, label in labels.items()}
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for order_id, order in placed.items():
        label, truth = labels.get(order_id), stream.truths[order_id]
        writer.writerow({
            "record": "order", "order_id": order_id, "placed_at": order.placed_at.isoformat(),
            "promised_by": order.promised_by.isoformat(), "paid_service": order.paid_service_level.value,
            "carrier": label.carrier if label else "", "label_service": label.label_service_code if label else "",
            "shipped_at": label.label_created_at.isoformat() if label else "",
            "delivered_at": truth.delivered_at.isoformat() if truth.delivered_at and label else "",
            "destination_tz": order.destination.time_zone, "destination_country": order.destination.country,
            "destination_region": order.destination.region or "",
            "tracking_number": label.tracking_number if label else "",
        })  # fmt: skip
    for event in stream.events:
        if event.event_type == "tracking.updated":
            writer.writerow(_scan_row(event, order_of[(event.payload.carrier, event.payload.tracking_number)]))
    return out.getvalue()


def _scan_row(event: Envelope[Any], order_id: str) -> dict[str, str]:
    scan = event.payload
    estimate = scan.estimated_delivery
    return {"record": "scan", "order_id": order_id, "scan_at": event.occurred_at.isoformat(),
            "scan_status": scan.status.value, "scan_estimate": estimate.date.isoformat() if estimate else "",
            "scan_reason": scan.exception_reason.value if scan.exception_reason else "",
            "scan_description": scan.description or ""}  # fmt: skip


def peak_memory(orders: int, seed: int, out: Path) -> dict[str, Any]:
    """`ow-backtest --orders N` in its own process; the peak summed RSS and PSS of its process tree."""
    command = [sys.executable, "-m", "services.order_watch.backtest.cli", "--orders", str(orders),
               "--seed", str(seed), "--days", str(max(28, orders // 360)), "--out", str(out)]  # fmt: skip
    started, cpu = time.perf_counter(), _children_cpu_seconds()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peaks = {"rss": 0, "pss": 0, "processes": 0}
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = pss = 0
                for member in tree:
                    info = member.memory_full_info()
                    rss, pss = rss + info.rss, pss + info.pss
            except psutil.Error:
                pass  # a worker that exited between listing and reading
            else:
                peaks.update(rss=max(peaks["rss"], rss), pss=max(peaks["pss"], pss))
                peaks["processes"] = max(peaks["processes"], len(tree))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    if code != 0:
        raise RuntimeError(f"ow-backtest exited with {code}")
    seconds, cpu = time.perf_counter() - started, _children_cpu_seconds() - cpu
    throughput = json.loads((out / "report.json").read_text())["meta"]["throughput"]
    rss_mb, pss_mb = peaks["rss"] / 2**20, peaks["pss"] / 2**20
    return {
        "orders": orders,
        "events": throughput["events"],
        "seconds": round(seconds, 1),
        # The whole run (simulation, learning, both replays, scoring) over every process's CPU time.
        "cpu_seconds": round(cpu, 1),
        "replay_events_per_second": throughput["events_per_second"],
        "processes": peaks["processes"],
        "peak_rss_mb": round(rss_mb),
        "peak_pss_mb": round(pss_mb),
        "peak_pss_mb_per_1000_orders": round(1000 * pss_mb / orders, 1),
        "peak_orders_held": throughput.get("peak_orders_held"),
    }


def _children_cpu_seconds() -> float:
    """CPU time of the child processes waited for (and of theirs)."""
    times = os.times()
    return times.children_user + times.children_system


def memory_growth(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The peak PSS's growth per 1,000 more orders between the two largest runs, and the peak a
    million orders would reach at that growth (from the largest run)."""
    if len(runs) < 2:
        return {}
    small, large = sorted(runs, key=lambda run: run["orders"])[-2:]
    per_thousand = 1000 * (large["peak_pss_mb"] - small["peak_pss_mb"]) / (large["orders"] - small["orders"])
    return {
        "between_orders": [small["orders"], large["orders"]],
        "peak_pss_mb_per_1000_more_orders": round(per_thousand, 2),
        "peak_pss_mb_at_a_million_orders": round(large["peak_pss_mb"] + per_thousand * (1e6 - large["orders"]) / 1000),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    cores = available_cores()
    machine = {"cores": cores, "loop_additions_per_second": round(loop_rate()),
               "json_round_trips_per_second": round(json_rate(_document(args.seed)))}  # fmt: skip
    result: dict[str, Any] = {"machine": machine}
    ratios: dict[str, Any] = {}
    if not args.memory_only:
        with Spool(cores) as spool:
            stream = simulate_into(spool, SimulationConfig(orders=args.orders, seed=args.seed))
            simulated = replay_rate(stream, cores, one_process=True)
        text = history_csv(simulate(SimulationConfig(orders=args.orders, seed=args.seed + 1)))
        with Spool(cores) as spool:
            imported = replay_rate(parse_history(text, into=spool), cores, one_process=False)
        result.update(simulated=simulated, imported=imported)
        ratios.update(
            simulated_vs_target=round(simulated["events_per_second"] / TARGET_EVENTS_PER_SECOND, 3),
            imported_vs_target=round(imported["events_per_second"] / TARGET_EVENTS_PER_SECOND, 3),
            loop_additions_per_simulated_event=round(
                machine["loop_additions_per_second"] / simulated["events_per_second"]
            ),
        )
    memory = []
    for orders in args.memory_orders:
        with tempfile.TemporaryDirectory(prefix="ow-bench-backtest-") as out:
            memory.append(peak_memory(orders, args.seed, Path(out)))
    result.update(memory=memory, memory_growth=memory_growth(memory))
    result.update(target_events_per_second=TARGET_EVENTS_PER_SECOND,
                  target_peak_mb_per_million_orders=TARGET_PEAK_MB_PER_MILLION_ORDERS, ratios=ratios)  # fmt: skip
    return result


def _document(seed: int) -> dict[str, Any]:
    """A tracking envelope of the simulation: what the JSON floor encodes and decodes."""
    events = simulate(SimulationConfig(orders=20, seed=seed)).events
    tracking = [event for event in events if event.event_type == "tracking.updated"]
    return json.loads(tracking[len(tracking) // 2].to_json_bytes())


def report(result: dict[str, Any]) -> str:
    machine, ratios = result["machine"], result["ratios"]
    lines = [
        f"machine: {machine['cores']} cores, {machine['loop_additions_per_second']:,} loop additions/s, "
        f"{machine['json_round_trips_per_second']:,} json round trips/s",
    ]
    if "simulated" in result:
        lines.append(
            f"{'history':<10}{'orders':>8}{'events':>10}{'procs':>6}{'ev/s':>8}{'ev/cpu-s':>9}{'1 proc':>8}"
            f"{'target':>8}{'held':>7}"
        )
    for name in ("simulated", "imported") if "simulated" in result else ():
        row = result[name]
        lines.append(
            f"{name:<10}{row['orders']:>8}{row['events']:>10}{row['workers']:>6}{row['events_per_second']:>8}"
            f"{row['events_per_cpu_second']:>9}{row.get('one_process_events_per_second', '-'):>8}"
            f"{ratios[name + '_vs_target']:>8.2f}"
            f"{row['peak_orders_held']:>7}"
        )
    for memory in result["memory"]:
        lines.append(
            f"memory: ow-backtest --orders {memory['orders']:,} ({memory['events']:,} events, "
            f"{memory['processes']} processes, {memory['seconds']} s, {memory['cpu_seconds']} CPU s, replay "
            f"{memory['replay_events_per_second']:,} ev/s): peak RSS {memory['peak_rss_mb']:,} MB summed, PSS "
            f"{memory['peak_pss_mb']:,} MB = {memory['peak_pss_mb_per_1000_orders']} MB per 1,000 orders; the "
            f"replay held {memory['peak_orders_held']:,} orders at once"
        )
    growth = result["memory_growth"]
    if growth:
        small, large = growth["between_orders"]
        lines.append(
            f"memory growth from {small:,} to {large:,} orders: {growth['peak_pss_mb_per_1000_more_orders']} MB "
            f"PSS per 1,000 more orders -> {growth['peak_pss_mb_at_a_million_orders']:,} MB at 1M "
            f"(target {result['target_peak_mb_per_million_orders']:,})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000, help="orders of each timed history")
    parser.add_argument(
        "--memory-orders", type=int, nargs="+", default=[20_000, 80_000], help="orders of each memory run"
    )
    parser.add_argument("--memory-only", action="store_true", help="only the memory runs (large histories)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench-results/backtest-speed.json"))
    args = parser.parse_args(argv)
    result = measure(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(report(result))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
