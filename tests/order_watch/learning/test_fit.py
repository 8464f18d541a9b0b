"""Fitting the delivery model from order snapshots: transit in delivery days, censoring, the hierarchy, silences."""

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.vocab import ServiceLevel, TrackingStatus
from services.order_watch.learning.fit import fit
from services.order_watch.learning.model import DeliveryModel, lane, paid_keys, shipment_keys
from services.order_watch.reconcile import OrderState
from tests.order_watch.learning.history import history
from tests.order_watch.reconcile.builders import CATALOG, chi, scan

AS_OF = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
LANE = lane("America/Chicago", None, "America/New_York")
KEYS = shipment_keys("ups", "03", ServiceLevel.GROUND, LANE)


def test_transit_is_counted_in_delivery_days_on_the_carriers_calendar() -> None:
    model = fit(history([3] * 20 + [4] * 10 + [7] * 10), AS_OF, CATALOG)
    transit = model.transit_for(KEYS)
    assert transit is not None and transit.cell == KEYS[0] and transit.sample_size == 40
    assert transit.distribution.quantile(0.5) == 3.0 and transit.distribution.longest() == 7.0


def test_parcels_still_travelling_are_censored_not_dropped() -> None:
    model = fit(history([3] * 30 + [None] * 10), AS_OF, CATALOG)
    transit = model.transit_for(KEYS).distribution
    assert transit.size == 40 and transit.ended == 30
    assert transit.survival(3.0) > 0  # the ten still out keep the tail open


def test_label_to_first_scan_latency_is_learned_per_service_in_business_hours() -> None:
    model = fit(history([3] * 30 + [None] * 5), AS_OF, CATALOG)
    latency = model.first_scan[("service", "ups", "03")]
    # Labels three hours before a 17:30 acceptance: 3 business hours, every one of them.
    assert latency.size == 35 and latency.quantile(0.5) == latency.longest() == 3.0


def test_thin_cells_fall_back_up_the_hierarchy_and_keep_their_sample_size() -> None:
    model = fit(history([3] * 40), AS_OF, CATALOG)
    other_lane = shipment_keys("ups", "03", ServiceLevel.GROUND, lane("America/Chicago", "CA", "America/Los_Angeles"))
    assert model.transit_for(other_lane).cell == ("service", "ups", "03")
    assert model.transit_for(paid_keys(ServiceLevel.GROUND, LANE)).sample_size == 40
    few = fit(history([3] * 10), AS_OF, CATALOG)
    assert few.transit_for(KEYS) is None  # the catalog's prior answers


def test_silences_and_a_carrier_that_never_scans_between_acceptance_and_delivery() -> None:
    scanned = fit(history([3] * 40), AS_OF, CATALOG)
    assert scanned.gap_for("ups", TrackingStatus.IN_TRANSIT) is not None
    assert not scanned.never_scans_between("ups")
    silent = fit(history([3] * 40, hub_scans=False), AS_OF, CATALOG)
    assert silent.never_scans_between("ups")


def test_stored_form_round_trips_and_the_version_names_the_content() -> None:
    model = fit(history([3] * 30 + [5] * 5), AS_OF, CATALOG)
    again = DeliveryModel.from_data(model.to_data())
    assert again.version == model.version and again.transit == model.transit and again.gaps == model.gaps
    assert fit(history([3] * 30 + [5] * 5), AS_OF, CATALOG).version == model.version
    assert fit(history([3] * 35), AS_OF, CATALOG).version != model.version


def test_an_exception_between_acceptance_and_delivery_is_not_a_progress_scan() -> None:
    def with_exception(state: OrderState) -> OrderState:  # held once on the way
        shipment = state.shipments[0]
        held = scan(f"{state.order_id}-X", chi(2026, 11, 3, 9, 0), TrackingStatus.EXCEPTION)
        return replace(state, shipments=(replace(shipment, scans=(*shipment.scans, held)),))

    silent = fit([with_exception(state) for state in history([3] * 40, hub_scans=False)], AS_OF, CATALOG)
    assert silent.never_scans_between("ups")


MIXED = history([3] * 12 + [4] * 10 + [7] * 6 + [None] * 4)


@settings(max_examples=25, deadline=None)
@given(st.permutations(MIXED))
def test_the_model_does_not_depend_on_the_order_history_arrives_in(states: list[OrderState]) -> None:
    # Orders in any order, each parcel's scans in reverse: the same model, down to its version.
    reversed_scans = [
        replace(state, shipments=tuple(replace(s, scans=s.scans[::-1]) for s in state.shipments)) for state in states
    ]
    assert fit(reversed_scans, AS_OF, CATALOG).version == fit(MIXED, AS_OF, CATALOG).version
