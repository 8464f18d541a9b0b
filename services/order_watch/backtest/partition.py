"""Replay one stream on several cores: orders never influence each other, so split by order.

Every rule reads one order's snapshot, and the scheduler's checks are per order, so replaying
each order's events on its own gives exactly the alerts a single replay gives. The stream is
split by a stable hash of the order id; a scan goes to the part of every order shipped on its
tracking number (labels are looked up over the whole stream first, so a scan that arrives
before its label still finds its part). Each part runs its own `Replay` to the same end of the
tail, and the results are merged.

Parts run in forked worker processes, which inherit the stream instead of receiving it
pickled; where fork is unavailable the parts run one after the other in this process.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from services.common.contracts import Envelope
from services.order_watch.backtest.replay import DEFAULT_TAIL, Replay, ReplayResult
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


def part_of(order_id: str, parts: int) -> int:
    """A stable part for an order (the same in every process and run, unlike `hash`)."""
    return zlib.crc32(order_id.encode()) % parts


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
    events: Sequence[Envelope[Any]],
    origin_tz: str,
    workers: int,
    tail: dt.timedelta = DEFAULT_TAIL,
    min_events_per_worker: int = MIN_EVENTS_PER_WORKER,
    catalog: Catalog | None = None,
) -> ReplayResult:
    """Replay a stream (in event-time order) on up to `workers` processes; the same alerts as one `Replay`."""
    workers = worker_count(len(events), workers, min_events_per_worker)
    if workers == 1:
        result = Replay(origin_tz, catalog).run(events, tail)
        result.alerts.sort(key=alert_order)
        return result
    until = max(event.occurred_at for event in events) + tail
    parts = partition_stream(events, workers)
    return merge(_run_parts(parts, origin_tz, until, catalog), len(events))


# The parts a forked worker inherits from its parent (set only while a pool runs).
_inherited: tuple[list[Part], str, dt.datetime, Catalog | None] | None = None


def _run_parts(parts: list[Part], origin_tz: str, until: dt.datetime, catalog: Catalog | None) -> list[ReplayResult]:
    global _inherited
    if "fork" not in multiprocessing.get_all_start_methods():
        return [_replay_part(part, origin_tz, until, catalog) for part in parts]
    _inherited = (parts, origin_tz, until, catalog)
    # Frozen objects are left out of every collection, so the workers' collector never walks (and
    # so never copies) the stream they inherit, and its first pass after a replay stays short.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
            return pool.map(_replay_inherited, range(len(parts)))
    finally:
        gc.unfreeze()
        _inherited = None


def _replay_inherited(index: int) -> ReplayResult:
    assert _inherited is not None, "only called in a worker forked by _run_parts"
    parts, origin_tz, until, catalog = _inherited
    return _replay_part(parts[index], origin_tz, until, catalog)


def _replay_part(part: Part, origin_tz: str, until: dt.datetime, catalog: Catalog | None) -> ReplayResult:
    return Replay(origin_tz, catalog).run(part, until=until)
