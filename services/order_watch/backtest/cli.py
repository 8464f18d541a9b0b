"""`ow-backtest`: simulate (or import) a history, replay it through the engine, write the reports.

ow-backtest --orders 10000 --seed 7 --days 28 --workers 2 --out bench-results/backtest
ow-backtest --world services/order_watch/backtest/worlds/no_hub_scans.json --out /tmp/no-hub
ow-backtest --csv docs/examples/history.csv --learn-until 2026-11-17T00:00:00-06:00 --out /tmp/my-backtest

By default the engine learns on the first half of the history (by order placement) and only
the orders placed after that are scored (`--learn-until` moves the split, `--no-learning`
replays on the catalog's priors alone and scores every order).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from services.order_watch.backtest.curve import CURVE_THRESHOLDS
from services.order_watch.backtest.importer import HistoryError, read_history
from services.order_watch.backtest.learn import default_split, fit_until, placed_instants
from services.order_watch.backtest.metrics import Tally
from services.order_watch.backtest.notices import evidence_counts, notices
from services.order_watch.backtest.partition import available_cores, replay_parallel
from services.order_watch.backtest.replay import ReplayResult, Scoring
from services.order_watch.backtest.report import summary_text, write_reports
from services.order_watch.backtest.simulator import SimulationConfig, simulate_into
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.truth import Stream
from services.order_watch.backtest.world import load_world
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.learning.policy import DEFAULT_POLICY, PROJECTED_LATE, RulePolicy
from services.order_watch.promise import Catalog, load_catalog


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ow-backtest", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--csv", type=Path, help="history CSV to import (format: docs/backtest.md)")
    source.add_argument("--orders", type=int, default=1_000, help="orders to simulate (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    parser.add_argument("--days", type=int, default=28, help="days the simulated orders are placed over")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 2), help="first day (ISO)")
    parser.add_argument("--origin-tz", default="America/Chicago", help="warehouse time zone (pick-up cut-offs)")
    parser.add_argument(
        "--workers", type=int, default=available_cores(), help="processes to replay on (default: all cores)"
    )
    parser.add_argument("--world", type=Path, help="simulate this world file instead of the catalog's world")
    learning = parser.add_mutually_exclusive_group()
    learning.add_argument(
        "--learn-until", type=dt.datetime.fromisoformat, help="learn on events up to this instant (ISO, with offset)"
    )
    learning.add_argument("--no-learning", action="store_true", help="catalog priors only; score every order")
    parser.add_argument("--out", type=Path, default=Path("bench-results/backtest"), help="report directory")
    parser.add_argument(
        "--spool-dir", type=Path, help="where the event stream is spooled while it runs (default: the temp directory)"
    )
    return parser.parse_args(argv)


def load_stream(args: argparse.Namespace, spool: Spool) -> Stream:
    """The history, its events written to `spool` (split into one part per worker) rather than held in
    memory: a million orders' envelopes would not fit (docs/backtest.md, *Throughput and memory*)."""
    if args.csv is not None:
        return read_history(args.csv, args.origin_tz, into=spool)
    world = load_world(args.world) if args.world else None
    config = SimulationConfig(
        orders=args.orders, seed=args.seed, days=args.days, start=args.start, origin_tz=args.origin_tz, world=world
    )
    return simulate_into(spool, config)


def load_stream_apart(args: argparse.Namespace, spool: Spool) -> Stream:
    """`load_stream` in a forked process (`Spool.write_apart`): the notes a spool keeps while it is
    written, per order and per tracking number, never sit on the heap the replay's workers fork from."""
    truths, description = spool.write_apart(lambda written: _handed_back(load_stream(args, written)))
    return Stream(spool, truths, args.origin_tz, description)


def _handed_back(stream: Stream) -> tuple[Any, dict[str, Any]]:
    return stream.truths, stream.description


def run_backtest(
    stream: Stream, workers: int = 1, learn_until: dt.datetime | None = None, learn: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Learn on the earlier part, replay (on up to `workers` processes) and score the later part.

    Returns the scorecard and the replay's throughput. Each order is scored as the replay forgets
    it (`replay.Scoring`): no replay holds the history's alerts, nor this process its truths."""
    catalog, model = load_catalog(), None
    if learn:
        learn_until = learn_until or default_split(stream.events)
        model = fit_until(stream.events, stream.origin_tz, learn_until, catalog)
        catalog = catalog.with_learning(model)
    scoring = Scoring(stream.truths, learn_until if learn else None)
    scorecard, throughput = _scored_replay(stream, workers, catalog, scoring)
    learned_orders = len(placed_instants(stream.events)) - scorecard["orders"]
    scorecard["learning"] = _learning_summary(model, learn_until, learned_orders)
    if model is not None:
        floor = catalog.with_learning(model, probe_policy(min(CURVE_THRESHOLDS)))
        probe = replay_parallel(stream.events, stream.origin_tz, workers, catalog=floor, scoring=scoring)
        scorecard["projected_late_curve"] = _tally(probe).curve_rows()
    scorecard["notices"] = notices({**stream.description, **evidence_counts(stream.events)}, scorecard, model)
    return scorecard, throughput


def _scored_replay(
    stream: Stream, workers: int, catalog: Catalog, scoring: Scoring
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The replay's scorecard and throughput."""
    started = time.perf_counter()
    result = replay_parallel(stream.events, stream.origin_tz, workers, catalog=catalog, scoring=scoring)
    seconds = time.perf_counter() - started
    throughput = {"events": result.events, "seconds": round(seconds, 3), "workers": workers,
                  "events_per_second": round(result.events / seconds, 1) if seconds else None,
                  "peak_orders_held": result.peak_orders_held}  # fmt: skip
    return {**_tally(result).card(), "replay": replay_counts(result)}, throughput


def _tally(result: ReplayResult) -> Tally:
    assert result.tally is not None, "a scoring replay carries its tally"
    return result.tally


def replay_counts(result: ReplayResult) -> dict[str, Any]:
    """What the replay did: events, evaluations, scheduled checks, resolutions, its first and last instant."""
    return {
        "events": result.events,
        "evaluations": result.evaluations,
        "scheduled_checks": result.scheduled_checks,
        "resolutions": result.resolutions,
        "started_at": result.started_at.isoformat() if result.started_at else None,
        "ended_at": result.ended_at.isoformat() if result.ended_at else None,
    }


def probe_policy(floor: float) -> RulePolicy:
    """The default thresholds with projected_late's lowered to the curve's floor."""
    policy = DEFAULT_POLICY
    for rule, severity in DEFAULT_POLICY.thresholds:
        if rule == PROJECTED_LATE:
            policy = policy.with_threshold(rule, severity, floor)
    return policy


def _learning_summary(model: DeliveryModel | None, until: dt.datetime | None, learned_orders: int) -> dict[str, Any]:
    if model is None:
        return {"learned": False}
    return {"learned": True, "learn_until": until.isoformat() if until else None, "learned_orders": learned_orders,
            "model_version": model.version, **model.counts()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with Spool(args.workers, args.spool_dir) as spool:
        try:
            stream = load_stream_apart(args, spool)
        except HistoryError as error:
            print(error, file=sys.stderr)
            return 2
        except OSError as error:
            print(f"cannot read {args.csv}: {error}", file=sys.stderr)
            return 2
        scorecard, throughput = run_backtest(stream, args.workers, args.learn_until, not args.no_learning)
    meta = {**stream.description, "throughput": throughput}
    json_path, html_path = write_reports(args.out, scorecard, meta)
    print(summary_text(scorecard, throughput))
    print(f"wrote {json_path} and {html_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
