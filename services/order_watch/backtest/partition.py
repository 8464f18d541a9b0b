"""Replay one stream on several cores: orders never influence each other, so split by order.

Every rule reads one order's snapshot, and the scheduler's checks are per order, so replaying
each order's events on its own gives exactly the alerts a single replay gives. The stream is
split by a stable hash of the order id; a scan goes to the part of every order shipped on its
tracking number (labels are looked up over the whole stream first, so a scan that arrives
before its label still finds its part). Each part runs its own `Replay` to the same end of the
tail, and the results are merged (alerts, or with a `Scoring` each part's tally of the orders it
scored: an order is scored in its own part only).

Parts run in forked worker processes, which inherit the stream instead of receiving it
pickled; where fork is unavailable the parts run one after the other in this process. A stream
spooled to disk (`backtest/spool.py`, what `ow-backtest` replays) was split by the same rule as it
was written: each worker reads its part's runs and nothing else.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from services.common.contracts import Envelope
from services.order_watch.backtest.metrics import Tally
from services.order_watch.backtest.replay import DEFAULT_TAIL, Replay, ReplayResult, Scoring
from services.order_watch.backtest.spool import Spool, part_of
from services.order_watch.orders.flows import carrier_key
from services.order_watch.promise import Catalog

Part = list[Envelope[Any]]
# Below this many events per worker, forking costs more than it saves.
MIN_EVENTS_PER_WORKER = 5_000


def partition_stream(events: Sequence[Envelope[Any]], parts: int) -> list[Part]:
    """The stream split into `parts` sub-streams by order, each in the original order.

    A scan whose tracking number no label names touches no order; it goes to the first part,
    so that every event is replayed somewhere.
    """
    parts_of_tracking: dict[tuple[str, str], set[int]] = defaultdict(set)
    for event in events:
        if event.event_type == "shipment.label_created":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            parts_of_tracking[key].add(part_of(event.payload.order_id, parts))
    split: list[Part] = [[] for _ in range(parts)]
    for event in events:
        if event.event_type == "tracking.updated":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            for index in sorted(parts_of_tracking.get(key) or {0}):
                split[index].append(event)
        else:
            split[part_of(event.payload.order_id, parts)].append(event)
    return split


def available_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's total): the default workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def merge(results: Iterable[ReplayResult], events: int) -> ReplayResult:
    """One result from the parts' results; alerts in time order. `events` is the stream's length
    (a scan replayed in two parts is still one event)."""
    results = list(results)
    merged = ReplayResult(events=events)
    for result in results:
        merged.alerts.extend(result.alerts)
        merged.crossings.extend(result.crossings)
        merged.resolutions += result.resolutions
        merged.evaluations += result.evaluations
        merged.scheduled_checks += result.scheduled_checks
        merged.peak_orders_held += result.peak_orders_held
    merged.alerts.sort(key=alert_order)
    tallies = [result.tally for result in results if result.tally is not None]
    if tallies:
        merged.tally = Tally()
        for tally in tallies:
            merged.tally.merge(tally)
    merged.started_at = min((r.started_at for r in results if r.started_at), default=None)
    merged.ended_at = max((r.ended_at for r in results if r.ended_at), default=None)
    return merged


def alert_order(alert: Any) -> tuple[Any, ...]:
    """A total order of alert records: by time, then by who raised what, for what."""
    return (alert.at, alert.system, alert.order_id, alert.rule, alert.shipment_id or "")


def worker_count(events: int, workers: int, min_events_per_worker: int = MIN_EVENTS_PER_WORKER) -> int:
    """How many processes `replay_parallel` uses: at most `workers`, each with enough events to pay for its fork."""
    return max(1, min(workers, events // max(1, min_events_per_worker)))


def replay_parallel(
    events: Sequence[Envelope[Any]] | Spool,
    origin_tz: str,
    workers: int,
    tail: dt.timedelta = DEFAULT_TAIL,
    min_events_per_worker: int = MIN_EVENTS_PER_WORKER,
    catalog: Catalog | None = None,
    scoring: Scoring | None = None,
) -> ReplayResult:
    """Replay a stream (in event-time order) on up to `workers` processes; the same alerts (or
    tally) as one `Replay`."""
    if isinstance(events, Spool):
        return _replay_spool(events, origin_tz, workers, tail, min_events_per_worker, catalog, scoring)
    workers = worker_count(len(events), workers, min_events_per_worker)
    if workers == 1:
        result = Replay(origin_tz, catalog, scoring=scoring).run(events, tail)
        result.alerts.sort(key=alert_order)
        return result
    until = max(event.occurred_at for event in events) + tail
    parts = partition_stream(events, workers)
    return merge(_run_parts(parts, origin_tz, until, catalog, scoring), len(events))


def _replay_spool(
    spool: Spool,
    origin_tz: str,
    workers: int,
    tail: dt.timedelta,
    min_events_per_worker: int,
    catalog: Catalog | None,
    scoring: Scoring | None,
) -> ReplayResult:
    """A spool already split into parts as it was written: each worker reads its parts' runs."""
    workers = worker_count(len(spool), min(workers, spool.parts), min_events_per_worker)
    if workers == 1:
        replay = Replay(origin_tz, catalog, scoring=scoring)
        result = replay.run_batches(spool.batches(truths=replay.truths), tail)
        result.alerts.sort(key=alert_order)
        return result
    assert spool.last_at is not None
    until = spool.last_at + tail
    groups = [range(first, spool.parts, workers) for first in range(workers)]
    jobs = [partial(_replay_spooled_part, spool, group, origin_tz, until, catalog, scoring) for group in groups]
    return merge(run_forked(jobs), len(spool))


def _replay_spooled_part(
    spool: Spool, parts: range, origin_tz: str, until: dt.datetime, catalog: Catalog | None, scoring: Scoring | None
) -> ReplayResult:
    replay = Replay(origin_tz, catalog, scoring=scoring)
    return replay.run_batches(spool.batches(parts, truths=replay.truths), until=until)


def _run_parts(
    parts: list[Part], origin_tz: str, until: dt.datetime, catalog: Catalog | None, scoring: Scoring | None
) -> list[ReplayResult]:
    return run_forked([partial(_replay_part, part, origin_tz, until, catalog, scoring) for part in parts])


def _replay_part(
    part: Part, origin_tz: str, until: dt.datetime, catalog: Catalog | None, scoring: Scoring | None
) -> ReplayResult:
    return Replay(origin_tz, catalog, scoring=scoring).run(part, until=until)


# The jobs a forked worker inherits from its parent (set only while a pool runs).
_inherited: list[Callable[[], ReplayResult]] | None = None


def run_forked(jobs: list[Callable[[], ReplayResult]]) -> list[ReplayResult]:
    """Each job's result, the jobs run in forked workers at once (one after the other in this process
    where fork is unavailable). A worker inherits its job and what it reads instead of receiving them
    pickled."""
    global _inherited
    if "fork" not in multiprocessing.get_all_start_methods():
        return [job() for job in jobs]
    _inherited = jobs
    # Frozen objects are left out of every collection, so the workers' collector never walks (and
    # so never copies) what they inherit, and its first pass after a replay stays short.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
            return pool.map(_run_inherited, range(len(jobs)))
    finally:
        gc.unfreeze()
        _inherited = None


def _run_inherited(index: int) -> ReplayResult:
    assert _inherited is not None, "only called in a worker forked by run_forked"
    return _inherited[index]()
