"""Replaying a stream split by order, on forked workers, gives exactly the alerts of one replay."""

from __future__ import annotations

import dataclasses

from services.common.vocab import TrackingStatus
from services.order_watch.backtest.partition import alert_order, part_of, partition_stream, replay_parallel
from services.order_watch.backtest.replay import Replay
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.orders.flows import carrier_key
from tests.order_watch.backtest.test_replay import STREAM, _scan, with_updates_cancels_and_voids

EVENTS = with_updates_cancels_and_voids(STREAM.events)


def _orders_of_tracking(events) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for event in events:
        if event.event_type == "shipment.label_created":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            found.setdefault(key, set()).add(event.payload.order_id)
    return found


def test_every_order_lives_in_one_part_and_its_scans_follow_it_in_stream_order():
    stray = _scan("ups", "1Z-NO-LABEL", EVENTS[-1].occurred_at, TrackingStatus.IN_TRANSIT, None)
    events = [*EVENTS, stray]
    parts = partition_stream(events, 3)
    tracking = _orders_of_tracking(events)
    for index, part in enumerate(parts):
        assert part == sorted(part, key=events.index), "each part keeps the stream's order"
        for event in part:
            if event.event_type != "tracking.updated":
                assert part_of(event.payload.order_id, 3) == index
            else:
                key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
                assert index in {part_of(order_id, 3) for order_id in tracking.get(key, ())} or (
                    key not in tracking and index == 0
                )
    assert {id(event) for part in parts for event in part} == {id(event) for event in events}


def test_parallel_replay_on_forked_workers_equals_one_replay():
    stream = simulate(SimulationConfig(orders=120, seed=5, days=6))
    events = with_updates_cancels_and_voids(stream.events)
    serial = Replay(stream.origin_tz).run(events)
    parallel = replay_parallel(events, stream.origin_tz, workers=3, min_events_per_worker=1)
    assert serial.alerts and sorted(serial.alerts, key=alert_order) == parallel.alerts
    counts = ("events", "evaluations", "scheduled_checks", "resolutions", "started_at", "ended_at")
    assert {name: getattr(parallel, name) for name in counts} == {name: getattr(serial, name) for name in counts}


def test_one_worker_or_a_short_stream_replays_in_this_process():
    result = replay_parallel(EVENTS, STREAM.origin_tz, workers=4)
    serial = Replay(STREAM.origin_tz).run(EVENTS)
    assert dataclasses.astuple(result)[1:] == dataclasses.astuple(serial)[1:]
    assert result.alerts == sorted(serial.alerts, key=alert_order)
