"""The simulator: seeded and reproducible, valid contracts, in event-time order, honest ground truth."""

from __future__ import annotations

from services.common.contracts.topics import decode_event, topic_for_event
from services.common.vocab import TrackingStatus
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.truth import Failure
from services.order_watch.promise import load_catalog

CONFIG = SimulationConfig(orders=400, seed=11, days=21)


def _dump(stream) -> list[bytes]:
    return [event.to_json_bytes() for event in stream.events]


def test_same_seed_gives_the_same_stream_event_ids_included():
    assert _dump(simulate(CONFIG)) == _dump(simulate(CONFIG))


def test_another_seed_gives_another_stream():
    other = SimulationConfig(orders=400, seed=12, days=21)
    assert _dump(simulate(CONFIG)) != _dump(simulate(other))


def test_events_are_in_event_time_order_and_decode_on_their_topics():
    stream = simulate(CONFIG)
    times = [event.occurred_at for event in stream.events]
    assert times == sorted(times)
    for event in stream.events[:300]:
        decoded = decode_event(topic_for_event(event.event_type).name, event.to_json_bytes())
        assert decoded == event


def test_every_order_has_a_truth_and_every_failure_mode_appears():
    stream = simulate(CONFIG)
    placed = {event.payload.order_id for event in stream.events if event.event_type == "order.placed"}
    assert placed == set(stream.truths) and len(placed) == CONFIG.orders
    assert {truth.failure for truth in stream.truths.values()} >= set(Failure) - {Failure.UNKNOWN}


def test_healthy_orders_keep_their_promise_and_gone_parcels_never_arrive():
    truths = simulate(CONFIG).truths.values()
    assert all(not truth.late for truth in truths if truth.failure is Failure.NONE)
    gone = [truth for truth in truths if truth.failure in (Failure.LOST, Failure.RETURN)]
    assert gone and all(truth.delivered_at is None for truth in gone)
    slipped = [truth for truth in truths if truth.failure in (Failure.ESTIMATE_SLIP, Failure.STALL)]
    assert all(truth.late for truth in slipped)


def test_downgraded_labels_are_slower_than_paid_and_others_match_it():
    stream = simulate(CONFIG)
    catalog = load_catalog()
    paid = {e.payload.order_id: e.payload.paid_service_level for e in stream.events if e.event_type == "order.placed"}
    for event in stream.events:
        if event.event_type != "shipment.label_created":
            continue
        label = event.payload
        level = catalog.resolve_level(label.carrier, label.label_service_code)
        downgraded = stream.truths[label.order_id].failure is Failure.DOWNGRADE
        assert level.is_slower_than(paid[label.order_id]) is downgraded


def test_never_scanned_labels_have_no_acceptance_until_found():
    stream = simulate(CONFIG)
    by_tracking = {
        e.payload.tracking_number: e.payload.order_id for e in stream.events if e.event_type.startswith("ship")
    }
    accepted = {
        by_tracking[e.payload.tracking_number]
        for e in stream.events
        if e.event_type == "tracking.updated" and e.payload.status is TrackingStatus.ACCEPTED
    }
    never = [truth for truth in stream.truths.values() if truth.failure is Failure.NEVER_SCANNED]
    assert never
    for truth in never:
        assert (truth.order_id in accepted) is (truth.delivered_at is not None)
