"""The stream off the heap: a spooled history replays, learns and scores exactly as the list does.

A spool writes the stream in sorted runs split by order and merges them back; each part must hold
what `partition_stream` gives that part, in the same order, each order must be forgotten at the
same event as `last_touches` says, and so the alerts, the model and the whole report must not
change. Runs are kept tiny here so that every merge crosses many of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random

import pytest

from services.common.vocab import TrackingStatus
from services.order_watch.backtest.cli import run_backtest
from services.order_watch.backtest.importer import COLUMNS, HistoryError, parse_history
from services.order_watch.backtest.learn import default_split, fit_until, placed_instants
from services.order_watch.backtest.notices import evidence_counts
from services.order_watch.backtest.partition import part_of, partition_stream, replay_parallel
from services.order_watch.backtest.replay import last_touches, same_instant
from services.order_watch.backtest.simulator import DEFAULT_FAILURE_RATES, SimulationConfig, simulate, simulate_into
from services.order_watch.backtest.spool import Spool
from services.order_watch.orders.flows import carrier_key
from services.order_watch.promise import load_catalog
from tests.order_watch.backtest.test_replay import EXTENDED, _scan
from tests.support.events import label_created

ORIGIN = "America/Chicago"
RATES = {failure: 3 * rate for failure, rate in DEFAULT_FAILURE_RATES.items()}
PARTS = 3


def _spooled(events, parts: int = PARTS, run_records: int = 40) -> Spool:
    spool = Spool(parts, run_records=run_records)
    spool.extend(events)
    spool.close()
    return spool


def _shared_tracking_stream() -> list:
    """The extended stream (updates, cancellations, voids, a late scan), in event-time order, plus:
    a scan no label ever names, a scan of a number labelled only later, and a second order shipped
    on a number already scanned for a first order in another part — its label emitted last."""
    events = sorted(EXTENDED, key=lambda event: event.occurred_at)
    labels = [event for event in events if event.event_type == "shipment.label_created"]
    first = labels[0].payload
    other = next(
        event.payload.order_id
        for event in events
        if event.event_type == "order.placed" and part_of(event.payload.order_id, PARTS) != part_of(first.order_id, 3)
    )
    end = events[-1].occurred_at
    stray = _scan("ups", "1Z-NO-LABEL", end, TrackingStatus.IN_TRANSIT, None)
    early = _scan("fedex", "LABELLED-LATER", labels[1].occurred_at, TrackingStatus.ACCEPTED, None)
    later_label = label_created(other, created_at=end, carrier="fedex", tracking_number="LABELLED-LATER")
    shared = label_created(
        other, created_at=end, carrier=first.carrier.upper(), tracking_number=first.tracking_number,
        shipment_id=f"{other}-S2",
    )  # fmt: skip
    # Emitted after the scans of the first order's number: the spool learns of the sharing at the end.
    return [*sorted([*events, stray, early], key=lambda event: event.occurred_at), later_label, shared]


def _history_csv(orders: int, seed: int) -> str:
    """A simulated history as a shop's export: an order row per order, a scan row per scan."""
    stream = simulate(SimulationConfig(orders=orders, seed=seed, days=6, failure_rates=RATES))
    labels = {e.payload.order_id: e.payload for e in stream.events if e.event_type == "shipment.label_created"}
    order_of = {(label.carrier, label.tracking_number): order_id for order_id, label in labels.items()}
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for event in stream.events:
        if event.event_type == "order.placed":
            order, label = event.payload, labels.get(event.payload.order_id)
            delivered = stream.truths[order.order_id].delivered_at
            writer.writerow({
                "order_id": order.order_id, "placed_at": order.placed_at.isoformat(),
                "promised_by": order.promised_by.isoformat(), "paid_service": order.paid_service_level.value,
                "carrier": label.carrier if label else "", "label_service": label.label_service_code if label else "",
                "shipped_at": label.label_created_at.isoformat() if label else "",
                "delivered_at": delivered.isoformat() if delivered and label else "",
                "destination_tz": order.destination.time_zone,
                "tracking_number": label.tracking_number if label else "",
            })  # fmt: skip
        elif event.event_type == "tracking.updated":
            scan = event.payload
            writer.writerow({
                "record": "scan", "order_id": order_of[(scan.carrier, scan.tracking_number)],
                "scan_at": event.occurred_at.isoformat(), "scan_status": scan.status.value,
                "scan_estimate": scan.estimated_delivery.date.isoformat() if scan.estimated_delivery else "",
            })  # fmt: skip
    return out.getvalue()


def _in_stream_order(events: list) -> list:
    return sorted(events, key=lambda event: event.occurred_at)  # stable: emission breaks ties


def test_events_come_back_equal_with_their_time_zones_and_set_fields():
    events = _in_stream_order(_shared_tracking_stream())
    back = [event for batch, _ in _spooled(events).batches() for event in batch]
    assert back == events
    for original, copy in zip(events, back, strict=True):
        assert copy.occurred_at.tzinfo is original.occurred_at.tzinfo
        assert copy.model_fields_set == original.model_fields_set
        assert copy.payload.model_fields_set == original.payload.model_fields_set
        assert copy.model_dump() == original.model_dump()


def test_batches_are_the_same_instants_in_stream_order_across_many_runs():
    events = _in_stream_order(_shared_tracking_stream())
    spool = _spooled(events, run_records=7)
    assert [batch for batch, _ in spool.batches()] == list(same_instant(events))


def test_each_part_holds_what_partition_stream_gives_it():
    events = _in_stream_order(_shared_tracking_stream())
    spool = _spooled(events)
    labelled_later = {("fedex", "LABELLED-LATER")}
    for index, expected in enumerate(partition_stream(events, PARTS)):
        part = [event for batch, _ in spool.batches([index]) for event in batch]
        # A scan written before any label named its number went to the first part as well: there it
        # touches no order (nothing in that part is shipped on it).
        extra = [e for e in part if e not in expected]
        assert all((carrier_key(e.payload.carrier), e.payload.tracking_number) in labelled_later for e in extra)
        assert [event for event in part if event in expected] == expected
        assert index == 0 or not extra


def test_finish_markers_come_with_the_last_event_of_each_order():
    events = _in_stream_order(_shared_tracking_stream())
    expected = {order: events[at].occurred_at for at, orders in last_touches(events).items() for order in orders}
    found = {order: batch[0].occurred_at for batch, finishing in _spooled(events).batches() for order in finishing}
    assert found == expected


def test_a_spooled_replay_on_forked_workers_gives_the_alerts_of_the_list():
    events = _in_stream_order(_shared_tracking_stream())
    for workers in (1, 2, 3):
        listed = replay_parallel(events, ORIGIN, workers, min_events_per_worker=1)
        spooled = replay_parallel(_spooled(events), ORIGIN, workers, min_events_per_worker=1)
        assert spooled.alerts and spooled.alerts == listed.alerts
        # Parts are concatenated; the curve reads crossings per order, in any order.
        assert sorted(spooled.crossings) == sorted(listed.crossings)
        counts = ("events", "evaluations", "scheduled_checks", "resolutions", "started_at", "ended_at")
        assert {name: getattr(spooled, name) for name in counts} == {name: getattr(listed, name) for name in counts}
        if workers in (1, PARTS):  # the same orders in each process: as many held at once
            assert spooled.peak_orders_held == listed.peak_orders_held


def test_the_learning_pass_over_a_spool_fits_the_same_model():
    stream = simulate(SimulationConfig(orders=60, seed=4, days=6, failure_rates=RATES))
    spool = _spooled(stream.events)
    catalog = load_catalog()
    until = default_split(stream.events)
    assert default_split(spool) == until and sorted(placed_instants(spool)) == sorted(placed_instants(stream.events))
    assert evidence_counts(spool) == evidence_counts(stream.events)
    listed, spooled = fit_until(stream.events, ORIGIN, until, catalog), fit_until(spool, ORIGIN, until, catalog)
    fields = ("version", "window_from", "window_to", "transit", "first_scan", "gaps", "intermediate_scans")
    assert all(getattr(spooled, name) == getattr(listed, name) for name in fields)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_spooled_backtest_reports_exactly_what_the_list_does(workers):
    config = SimulationConfig(orders=160, seed=21, days=8, failure_rates=RATES)
    listed, _ = run_backtest(simulate(config), workers)
    with Spool(workers, run_records=500) as spool:
        spooled, _ = run_backtest(simulate_into(spool, config), workers)
    assert spooled == listed


def test_a_spooled_import_reports_exactly_what_the_list_does():
    history = _history_csv(120, seed=8)
    listed, _ = run_backtest(parse_history(history))
    with Spool(2, run_records=300) as spool:
        spooled, _ = run_backtest(parse_history(history, into=spool))
    assert spooled == listed


def test_the_bounds_are_those_of_the_list():
    rng = random.Random(5)
    events = _in_stream_order(simulate(SimulationConfig(orders=30, seed=9, days=4)).events)
    shuffled = events[:]
    rng.shuffle(shuffled)  # written in any order of event times: read back sorted (ties by emission)
    spool = _spooled(shuffled)
    assert spool.first_at is min(shuffled, key=lambda event: event.occurred_at).occurred_at
    assert spool.last_at is max((event.occurred_at for event in shuffled), key=lambda at: at.astimezone(dt.UTC))
    assert len(spool) == len(events)


def test_a_spool_written_in_a_forked_process_reads_as_one_written_here():
    config = SimulationConfig(orders=40, seed=6, days=4, failure_rates=RATES)
    with Spool(2, run_records=50) as here, Spool(2, run_records=50) as apart:
        simulate_into(here, config)
        description = apart.write_apart(lambda spool: simulate_into(spool, config).description)
        assert description == simulate(config).description
        counts = ("events", "truths", "scans", "estimates", "placed", "first_at", "last_at")
        assert {name: getattr(apart, name) for name in counts} == {name: getattr(here, name) for name in counts}
        for parts in (None, [1]):
            read_here, read_apart = {}, {}
            assert list(apart.batches(parts, read_apart)) == list(here.batches(parts, read_here))
            assert read_apart == read_here and read_here


def test_what_goes_wrong_while_writing_apart_is_raised_here():
    history = "order_id,placed_at,promised_by,paid_service\nX,yesterday,2026-11-17T20:00:00-05:00,NEXT_DAY\n"
    with Spool(2) as spool, pytest.raises(HistoryError) as raised:
        spool.write_apart(lambda written: parse_history(history, into=written))
    assert "row 2, column placed_at" in raised.value.problems[0]  # the problems themselves, not a message


def test_a_writer_that_dies_is_an_error_naming_its_exit_code():
    with Spool(2) as spool, pytest.raises(RuntimeError, match="exit code 3"):
        spool.write_apart(lambda written: os._exit(3))
    assert not spool._closed
