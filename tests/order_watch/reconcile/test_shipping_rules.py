"""service_downgrade, not_shipped_in_time and split_order_unshipped — when they fire and when they must not."""

import datetime as dt

from services.common.vocab import ServiceLevel, Severity, TrackingStatus
from services.order_watch.reconcile import (
    LineState,
    evaluate,
    next_check_at,
    not_shipped_in_time,
    service_downgrade,
    split_order_unshipped,
)
from services.order_watch.reconcile.shipping_rules import ACCEPTANCE_SCAN_GRACE
from tests.order_watch.reconcile.builders import (
    CATALOG,
    LABEL_TIME,
    PLACED_AT,
    PROMISED_BY,
    THURSDAY_CUTOFF,
    chi,
    label,
    ny,
    order,
    rules_fired,
    scan,
)

MINUTE = dt.timedelta(minutes=1)


# --- service_downgrade -------------------------------------------------------------------------


def test_label_at_the_paid_level_is_not_a_downgrade() -> None:
    assert service_downgrade(order(label(code="01")), LABEL_TIME, CATALOG) == []
    assert service_downgrade(order(label(code="14")), LABEL_TIME, CATALOG) == []


def test_faster_than_paid_is_not_a_downgrade() -> None:
    state = order(label(code="01"), paid_service_level=ServiceLevel.GROUND)
    assert service_downgrade(state, LABEL_TIME, CATALOG) == []


def test_level_stated_by_the_warehouse_is_used_for_an_unknown_code() -> None:
    state = order(label(code="ZZ-GROUND", label_service_level=ServiceLevel.GROUND))
    [finding] = service_downgrade(state, LABEL_TIME, CATALOG)
    assert finding.evidence["label_service_level"]["value"] == "GROUND"


def test_unknown_code_without_a_level_raises_nothing() -> None:
    assert service_downgrade(order(label(code="ZZ")), LABEL_TIME, CATALOG) == []


def test_carrier_reporting_a_slower_service_than_the_label_is_a_downgrade() -> None:
    shipment = label(
        code="01",
        scans=(scan("e1", chi(2026, 11, 18, 19), TrackingStatus.ACCEPTED, level=ServiceLevel.GROUND),),
    )
    [finding] = service_downgrade(order(shipment), chi(2026, 11, 18, 20), CATALOG)
    assert finding.evidence["carrier_reported_service_level"]["value"] == "GROUND"
    assert finding.evidence["carrier_reported_service_level"]["source"] == "tracking e1"
    assert "label_service_level" not in finding.evidence


def test_downgrade_that_still_arrives_in_time_is_a_warning() -> None:
    state = order(label(code="03"), paid_service_level=ServiceLevel.TWO_DAY, promised_by=ny(2026, 11, 27, 20))
    [finding] = service_downgrade(state, LABEL_TIME, CATALOG)
    assert finding.severity is Severity.WARNING
    assert finding.evidence["misses_promise"]["value"] is False


def test_voided_downgraded_label_raises_nothing() -> None:
    assert service_downgrade(order(label(voided=True), label("SHP-2", code="01")), LABEL_TIME, CATALOG) == []


def test_a_next_day_reship_takes_over_from_the_downgraded_parcel() -> None:
    reship = label("SHP-2", code="13", created=chi(2026, 11, 19, 10), is_reship=True)
    assert service_downgrade(order(label(), reship), chi(2026, 11, 19, 10, 5), CATALOG) == []


def test_delivered_on_time_downgrade_raises_nothing() -> None:
    delivered = label(scans=(scan("d", ny(2026, 11, 20, 15), TrackingStatus.DELIVERED),))
    assert evaluate(order(delivered), ny(2026, 11, 20, 16), CATALOG) == []


# --- not_shipped_in_time -----------------------------------------------------------------------


def test_no_label_is_not_an_alert_before_the_deadline() -> None:
    state = order()
    assert not_shipped_in_time(state, THURSDAY_CUTOFF, CATALOG) == []
    assert rules_fired(state, THURSDAY_CUTOFF - MINUTE) == []


def test_no_label_after_the_deadline_is_critical_with_a_saturday_recovery() -> None:
    [finding] = not_shipped_in_time(order(), THURSDAY_CUTOFF + MINUTE, CATALOG)
    assert finding.shipment_id is None
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["latest_handover"]["value"] == THURSDAY_CUTOFF.isoformat()
    # No label: nothing is on its way, so the best plan is a Friday hand-over for Saturday.
    assert finding.recovery is not None and not finding.recovery.meets_promise
    assert finding.recovery.act_by == chi(2026, 11, 20, 17)


def test_scheduler_is_told_when_the_no_label_deadline_passes() -> None:
    assert next_check_at(order(), PLACED_AT, CATALOG) == THURSDAY_CUTOFF + dt.timedelta(microseconds=1)


def test_unscanned_label_waits_for_the_evening_acceptance_scan() -> None:
    state = order(label(code="01", created=chi(2026, 11, 19, 9)))
    assert not_shipped_in_time(state, THURSDAY_CUTOFF + dt.timedelta(hours=2), CATALOG) == []
    [finding] = not_shipped_in_time(state, THURSDAY_CUTOFF + ACCEPTANCE_SCAN_GRACE + MINUTE, CATALOG)
    assert finding.shipment_id == "SHP-1"
    assert finding.evidence["carrier_scans"]["value"] == 0


def test_scanned_label_is_shipped() -> None:
    shipment = label(code="01", scans=(scan("a", chi(2026, 11, 19, 19), TrackingStatus.ACCEPTED),))
    assert not_shipped_in_time(order(shipment), chi(2026, 11, 20, 9), CATALOG) == []


def test_pre_transit_scan_is_not_a_carrier_scan() -> None:
    shipment = label(code="01", scans=(scan("p", chi(2026, 11, 19, 9), TrackingStatus.PRE_TRANSIT),))
    assert len(not_shipped_in_time(order(shipment), chi(2026, 11, 20, 9), CATALOG)) == 1


# --- split_order_unshipped ---------------------------------------------------------------------

TWO_LINES = (LineState("DEVICE-1", 1), LineState("CABLE-9", 2))


def partial() -> object:
    carried = (LineState("DEVICE-1", 1), LineState("CABLE-9", 1))
    return order(label(code="01", lines=carried), lines=TWO_LINES)


def test_split_order_is_not_an_alert_before_the_deadline() -> None:
    assert split_order_unshipped(partial(), THURSDAY_CUTOFF, CATALOG) == []


def test_split_order_after_the_deadline_names_what_is_missing() -> None:
    [finding] = split_order_unshipped(partial(), THURSDAY_CUTOFF + MINUTE, CATALOG)
    assert finding.evidence["unshipped"]["value"] == {"CABLE-9": 1}
    assert "1 x CABLE-9" in finding.summary


def test_everything_shipped_across_two_parcels_is_not_split() -> None:
    state = order(
        label(code="01", lines=(LineState("DEVICE-1", 1), LineState("CABLE-9", 1))),
        label("SHP-2", code="01", lines=(LineState("CABLE-9", 1),)),
        lines=TWO_LINES,
    )
    assert split_order_unshipped(state, THURSDAY_CUTOFF + MINUTE, CATALOG) == []


def test_parcel_with_unstated_content_is_assumed_complete() -> None:
    state = order(label(code="01"), lines=TWO_LINES)
    assert split_order_unshipped(state, THURSDAY_CUTOFF + MINUTE, CATALOG) == []


def test_voided_parcel_does_not_count_as_shipped() -> None:
    state = order(
        label(code="01", lines=(LineState("DEVICE-1", 1),)),
        label("SHP-2", code="01", lines=(LineState("CABLE-9", 2),), voided=True),
        lines=TWO_LINES,
    )
    [finding] = split_order_unshipped(state, THURSDAY_CUTOFF + MINUTE, CATALOG)
    assert finding.evidence["unshipped"]["value"] == {"CABLE-9": 2}


def test_promised_by_is_in_order_evidence() -> None:
    [finding] = split_order_unshipped(partial(), THURSDAY_CUTOFF + MINUTE, CATALOG)
    assert finding.evidence["promised_by"]["value"] == PROMISED_BY.isoformat()


def test_a_downgrade_has_two_act_by_times_the_cheapest_and_the_last_chance() -> None:
    # Promised Monday: two-day air by Thursday's cut-off is the cheapest rescue, but next-day air
    # on Friday still keeps the promise — Friday is the last chance (PRODUCT.md story 1).
    [finding] = service_downgrade(order(label(), promised_by=ny(2026, 11, 23, 20)), LABEL_TIME, CATALOG)
    assert finding.recovery.service_level is ServiceLevel.TWO_DAY
    assert finding.act_by == THURSDAY_CUTOFF
    assert finding.last_chance == chi(2026, 11, 20, 17)
