"""The rules reading the delivery model: P(miss), learned silences and hand-over deadlines, with
the model's version and sample size in the evidence; the catalog's priors without history."""

import datetime as dt
from dataclasses import replace

from services.common.vocab import ExceptionReason, ServiceLevel, Severity, TrackingStatus
from services.order_watch.learning.fit import fit
from services.order_watch.learning.model import AT_DOOR, EN_ROUTE, DeliveryModel
from services.order_watch.promise import Catalog
from services.order_watch.reconcile import OrderState, evaluate, next_check_at
from services.order_watch.reconcile.state import ScanState
from tests.order_watch.learning.history import UPS_GROUND, history, parcel
from tests.order_watch.reconcile.builders import CATALOG, chi, ny, only, order, scan

AS_OF = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
CURRENT_MONDAY = dt.date(2026, 11, 30)
# Eight in ten ground parcels take 3 delivery days, two in ten take 7; the shop promises 5.
LEARNED = CATALOG.with_learning(fit(history([3] * 40 + [7] * 10), AS_OF, CATALOG))


def travelling() -> OrderState:
    """A parcel shipped Monday 30 November, promised Monday 7 December, not delivered yet."""
    return parcel(99, None, shipped_on=CURRENT_MONDAY)


def rules(state: OrderState, now: dt.datetime, catalog: Catalog) -> list[str]:
    return [finding.rule for finding in evaluate(state, now, catalog)]


def test_projected_late_states_p_miss_and_how_many_similar_parcels_took_longer() -> None:
    # Friday: three delivery days gone undelivered, so it is one of the slow two in ten.
    friday = ny(2026, 12, 4, 9, 0)
    finding = only(evaluate(travelling(), friday, LEARNED), "projected_late")
    assert finding.summary.startswith("P(miss) 1.00 — 10 of 10 similar parcels took longer")
    model = finding.evidence["model"]["value"]
    assert model["version"] == LEARNED.model.version and model["sample_size"] == 50
    assert model["cell"].startswith("lane/ups/03")


def test_projected_late_stays_quiet_while_most_similar_parcels_still_made_it() -> None:
    wednesday = ny(2026, 12, 2, 9, 0)  # one delivery day gone: P(miss) is 0.2
    assert "projected_late" not in rules(travelling(), wednesday, LEARNED)


def test_a_carrier_whose_history_has_no_scans_between_never_stalls_on_silence() -> None:
    silent_history = CATALOG.with_learning(fit(history([3] * 40, hub_scans=False), AS_OF, CATALOG))
    quiet = parcel(98, None, shipped_on=CURRENT_MONDAY, hub_scans=False)
    thursday = ny(2026, 12, 3, 15, 0)
    assert "stalled" not in rules(quiet, thursday, silent_history)
    assert "stalled" in rules(quiet, thursday, CATALOG)  # the levels table's 24 business hours


def test_silence_beyond_the_learned_gap_stalls_and_names_the_model() -> None:
    state = travelling()
    last = max(scan.event_time for scan in state.shipments[0].scans)
    finding = only(evaluate(state, last + dt.timedelta(days=2), LEARNED), "stalled")
    assert "working day hours" in finding.summary and finding.evidence["model"]["value"]["sample_size"] >= 30


def test_hand_over_deadline_comes_from_what_this_shops_parcels_took() -> None:
    # Every ground parcel of this shop took 7 delivery days; an unlabelled order promised in 5
    # cannot make it even now, while the catalog's 3-day ground still could.
    slow = CATALOG.with_learning(fit(history([7] * 40), AS_OF, CATALOG))
    placed = chi(2026, 11, 30, 9, 0)
    unlabelled = replace(
        order(), paid_service_level=ServiceLevel.GROUND, placed_at=placed, promised_by=ny(2026, 12, 7, 20, 0)
    )
    now = placed + dt.timedelta(minutes=5)
    finding = only(evaluate(unlabelled, now, slow), "not_shipped_in_time")
    assert "delivery model" in finding.evidence["latest_handover"]["source"]
    assert finding.evidence["model"]["value"]["cell"] == "paid_lane/GROUND/America/Chicago>America/New_York"
    assert "not_shipped_in_time" not in rules(unlabelled, now, CATALOG)


def test_an_exception_the_promise_has_room_for_stays_quiet_but_one_needing_action_does_not() -> None:
    state = travelling()
    shipment = state.shipments[0]
    tuesday = chi(2026, 12, 1, 10, 0)

    def with_exception(reason: ExceptionReason) -> OrderState:
        hold = scan("EXC", tuesday, TrackingStatus.EXCEPTION, reason)
        before = tuple(scan for scan in shipment.scans if scan.event_time < tuesday)
        return replace(state, shipments=(replace(shipment, scans=(*before, hold)),))

    later = tuesday + dt.timedelta(hours=1)
    assert "carrier_exception" not in rules(with_exception(ExceptionReason.WEATHER), later, LEARNED)
    assert "carrier_exception" in rules(with_exception(ExceptionReason.WEATHER), later, CATALOG)
    assert "carrier_exception" in rules(with_exception(ExceptionReason.ADDRESS), later, LEARNED)


def test_the_day_an_exception_costs_is_counted_once_not_every_day_it_stays_the_newest_scan() -> None:
    state = travelling()
    shipment = state.shipments[0]
    tuesday = chi(2026, 12, 1, 10, 0)
    held = scan("EXC", tuesday, TrackingStatus.EXCEPTION, ExceptionReason.WEATHER)
    before = tuple(scan for scan in shipment.scans if scan.event_time < tuesday)
    waiting = replace(state, shipments=(replace(shipment, scans=(*before, held)),))
    # Friday, still held: one of the slow two in ten, a day behind: 4 of its 5 days are left.
    assert "carrier_exception" not in rules(waiting, ny(2026, 12, 4, 9, 0), LEARNED)


# Out for delivery at 08:00 New York, every one; of the parcels still travelling after four
# delivery days, 18 in 22 take seven: P(miss) 0.82 on the promise day (Monday 7 December).
ROUNDS = CATALOG.with_learning(
    fit(history([3] * 20 + [4] * 10 + [5] * 4 + [7] * 18, out_for_delivery=True), AS_OF, CATALOG)
)


def test_on_the_promise_day_projected_late_waits_for_the_delivery_rounds_to_leave() -> None:
    state = travelling()
    assert "projected_late" not in rules(state, ny(2026, 12, 4, 9, 0), ROUNDS)  # Friday: P(miss) 0.56
    assert "projected_late" not in rules(state, ny(2026, 12, 7, 0, 30), ROUNDS)  # the rounds may bring it
    due = next_check_at(state, ny(2026, 12, 7, 0, 30), ROUNDS)
    assert due is not None and due <= ny(2026, 12, 7, 8, 0) + dt.timedelta(microseconds=1)
    finding = only(evaluate(state, ny(2026, 12, 7, 8, 30), ROUNDS), "projected_late")
    assert finding.summary.startswith("P(miss) 0.82")
    rounds = finding.evidence["delivery_rounds"]["value"]
    assert rounds["not_out_for_delivery_by"] == ny(2026, 12, 7, 8, 0).isoformat() and rounds["sample_size"] == 52


def test_a_parcel_out_for_delivery_on_the_promise_day_is_expected_that_day() -> None:
    state = travelling()
    shipment = state.shipments[0]
    out = scan("OFD", ny(2026, 12, 7, 7, 45), TrackingStatus.OUT_FOR_DELIVERY)
    on_the_truck = replace(state, shipments=(replace(shipment, scans=(*shipment.scans, out)),))
    assert "projected_late" not in rules(on_the_truck, ny(2026, 12, 7, 11, 0), ROUNDS)


def test_without_learned_rounds_the_promise_day_starts_with_the_model_alone() -> None:
    no_rounds = CATALOG.with_learning(fit(history([3] * 20 + [4] * 10 + [5] * 4 + [7] * 18), AS_OF, CATALOG))
    assert no_rounds.model.rounds_leave_by("ups", 0.99) is None
    assert "projected_late" in rules(travelling(), ny(2026, 12, 7, 0, 30), no_rounds)


def with_scans(state: OrderState, *extra: ScanState) -> OrderState:
    shipment = state.shipments[0]
    return replace(state, shipments=(replace(shipment, scans=(*shipment.scans, *extra)),))


def address_en_route(state: OrderState) -> OrderState:
    """An address exception four hours after acceptance, before the first hub scan."""
    accepted = min(scan.event_time for scan in state.shipments[0].scans)
    return with_scans(state, scan(f"{state.order_id}-X", accepted + dt.timedelta(hours=4), *ADDRESS))


def address_at_door(state: OrderState) -> OrderState:
    """Out for delivery on the third day, an address exception there, then back to the sender."""
    shipped = min(scan.event_time for scan in state.shipments[0].scans).date()
    day = UPS_GROUND.calendar.add_delivery_days(shipped, 3)
    door = ny(day.year, day.month, day.day, 8, 0)
    return with_scans(
        state,
        scan(f"{state.order_id}-O", door, TrackingStatus.OUT_FOR_DELIVERY),
        scan(f"{state.order_id}-X", door + dt.timedelta(hours=3), *ADDRESS),
        scan(f"{state.order_id}-R", door + dt.timedelta(days=1), TrackingStatus.RETURN_TO_SENDER),
    )


ADDRESS = (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS)
# Forty parcels had an address exception on the way and were all delivered in three days; thirty
# more had one at the door and went back to the sender.
RESOLVING = CATALOG.with_learning(
    fit(
        [address_en_route(state) for state in history([3] * 40)]
        + [address_at_door(replace(state, order_id=f"R-{state.order_id}")) for state in history([None] * 30)],
        AS_OF,
        CATALOG,
    )
)


def test_the_fit_learns_how_exceptions_ended_by_reason_and_stage() -> None:
    model = RESOLVING.model
    en_route = model.carrier_resolves("ups", ExceptionReason.ADDRESS, EN_ROUTE)
    assert en_route is not None and (en_route.delivered, en_route.seen) == (40, 40)
    assert en_route.cell == ("exception", "ups", "address", EN_ROUTE)
    assert model.exception_outcomes[("exception", "ups", "address", AT_DOOR)] == (0, 30)
    assert model.carrier_resolves("ups", ExceptionReason.ADDRESS, AT_DOOR) is None
    assert DeliveryModel.from_data(model.to_data()).exception_outcomes == model.exception_outcomes


def test_an_address_exception_this_carrier_resolves_on_the_way_is_a_delay_not_a_call_to_act() -> None:
    state = travelling()
    tuesday = chi(2026, 12, 1, 10, 0)
    before = tuple(scan for scan in state.shipments[0].scans if scan.event_time < tuesday)
    held = replace(state, shipments=(replace(state.shipments[0], scans=(*before, scan("EXC", tuesday, *ADDRESS))),))
    later = tuesday + dt.timedelta(hours=1)
    assert "carrier_exception" not in rules(held, later, RESOLVING)  # the promise has room for a day
    assert only(evaluate(held, later, LEARNED), "carrier_exception").severity is Severity.CRITICAL
    # On the promise day it has no room left: a warning that names what the history showed.
    promise_day = ny(2026, 12, 7, 9, 0)
    late = with_scans(state, scan("EXC", promise_day, *ADDRESS))
    finding = only(evaluate(late, promise_day + dt.timedelta(hours=1), RESOLVING), "carrier_exception")
    assert finding.severity is Severity.WARNING
    resolves = finding.evidence["carrier_resolves"]["value"]
    assert resolves["delivered"] == 40 and resolves["sample_size"] == 40
    assert resolves["cell"] == "exception/ups/address/en_route" and resolves["version"] == RESOLVING.model.version


def test_an_address_exception_at_the_door_still_needs_a_person() -> None:
    state = travelling()
    out = ny(2026, 12, 3, 8, 0)
    at_door = with_scans(
        state, scan("OFD", out, TrackingStatus.OUT_FOR_DELIVERY), scan("EXC", out + dt.timedelta(hours=3), *ADDRESS)
    )
    finding = only(evaluate(at_door, out + dt.timedelta(hours=4), RESOLVING), "carrier_exception")
    assert finding.severity is Severity.CRITICAL and "carrier_resolves" not in finding.evidence
