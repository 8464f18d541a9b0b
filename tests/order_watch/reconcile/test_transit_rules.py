"""Rules on parcels the carrier has: estimates, projection, silence, exceptions, returns, late delivery."""

import datetime as dt

from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, Severity, TrackingStatus
from services.order_watch.reconcile import (
    carrier_estimate_late,
    carrier_exception,
    delivered_late,
    evaluate,
    projected_late,
    return_or_lost,
    stalled,
)
from services.order_watch.reconcile.facts import current_scan
from services.order_watch.reconcile.transit_rules import stalled_due_at
from tests.order_watch.reconcile.builders import (
    CATALOG,
    chi,
    end_of,
    estimate,
    label,
    ny,
    only,
    order,
    rules_fired,
    scan,
)

S = TrackingStatus
ACCEPTED_THU = scan("acc", chi(2026, 11, 19, 16), S.ACCEPTED)
THURSDAY_MORNING = chi(2026, 11, 19, 10)


def overnight(*scans, estimates=(), created=THURSDAY_MORNING):
    """A correct next-day label (UPS Next Day Air) created and accepted on Thursday."""
    return label(code="01", created=created, scans=(ACCEPTED_THU, *scans), estimates=estimates)


# --- carrier_estimate_late ---------------------------------------------------------------------

FRIDAY, MONDAY = end_of(ny(2026, 11, 20)), end_of(ny(2026, 11, 23))


def test_estimate_after_the_promise_date_is_late() -> None:
    shipment = overnight(estimates=(estimate(MONDAY, chi(2026, 11, 19, 20)),))
    [finding] = carrier_estimate_late(order(shipment), chi(2026, 11, 19, 21), CATALOG)
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["carrier_estimate"]["as_of"] == chi(2026, 11, 19, 20).isoformat()


def test_date_only_estimate_on_the_promised_day_is_not_late() -> None:
    shipment = overnight(estimates=(estimate(FRIDAY, chi(2026, 11, 19, 20)),))
    assert carrier_estimate_late(order(shipment), chi(2026, 11, 19, 21), CATALOG) == []


def test_estimate_briefly_late_then_corrected_raises_nothing_after_the_correction() -> None:
    estimates = (
        estimate(FRIDAY, chi(2026, 11, 19, 17)),
        estimate(MONDAY, chi(2026, 11, 19, 22)),  # the carrier wobbles…
        estimate(FRIDAY, chi(2026, 11, 20, 2)),  # …and corrects itself
    )
    assert len(carrier_estimate_late(order(overnight(estimates=estimates[:2])), chi(2026, 11, 19, 23), CATALOG)) == 1
    state = order(overnight(estimates=estimates))
    assert carrier_estimate_late(state, chi(2026, 11, 20, 3), CATALOG) == []
    assert rules_fired(state, chi(2026, 11, 20, 3)) == []


def test_latest_estimate_is_by_issue_time_not_arrival() -> None:
    stale_but_late_arriving = estimate(MONDAY, chi(2026, 11, 19, 17), received=chi(2026, 11, 20, 4))
    fresh = estimate(FRIDAY, chi(2026, 11, 20, 2), received=chi(2026, 11, 20, 2, 1))
    state = order(overnight(estimates=(stale_but_late_arriving, fresh)))
    assert carrier_estimate_late(state, chi(2026, 11, 20, 5), CATALOG) == []


def test_our_own_estimates_are_not_the_carriers() -> None:
    ours = estimate(MONDAY, chi(2026, 11, 19, 20), source=EstimateSource.ORDER_WATCH)
    assert carrier_estimate_late(order(overnight(estimates=(ours,))), chi(2026, 11, 19, 21), CATALOG) == []


# --- projected_late ----------------------------------------------------------------------------


def ground_order(*scans, estimates=()):
    """Paid ground (no downgrade), promised Friday, accepted Wednesday: ground needs until Monday."""
    shipment = label(created=chi(2026, 11, 18, 10), scans=scans, estimates=estimates)
    return order(shipment, paid_service_level=ServiceLevel.GROUND)


ACCEPTED_WED = scan("acc", chi(2026, 11, 18, 16), S.ACCEPTED)


def test_projection_late_while_the_carrier_is_silent() -> None:
    [finding] = projected_late(ground_order(ACCEPTED_WED), chi(2026, 11, 19, 10), CATALOG)
    assert finding.severity is Severity.WARNING
    assert finding.evidence["projected_delivery"]["value"].startswith("2026-11-23")
    assert finding.evidence["carrier_estimate"] is None


def test_no_projection_before_a_carrier_has_the_parcel() -> None:
    assert projected_late(ground_order(), chi(2026, 11, 19, 10), CATALOG) == []


def test_a_live_on_time_carrier_estimate_outranks_our_projection() -> None:
    state = ground_order(ACCEPTED_WED, estimates=(estimate(FRIDAY, chi(2026, 11, 18, 20)),))
    assert rules_fired(state, chi(2026, 11, 19, 10)) == []


def test_projection_speaks_again_once_the_carrier_estimate_passed_undelivered() -> None:
    moving = scan("t", ny(2026, 11, 20, 22), S.IN_TRANSIT)
    state = ground_order(ACCEPTED_WED, moving, estimates=(estimate(FRIDAY, chi(2026, 11, 18, 20)),))
    assert rules_fired(state, ny(2026, 11, 20, 19)) == []
    assert rules_fired(state, ny(2026, 11, 21, 9)) == ["projected_late"]


def test_carrier_admitting_the_slip_is_reported_once_not_twice() -> None:
    state = ground_order(ACCEPTED_WED, estimates=(estimate(MONDAY, chi(2026, 11, 18, 20)),))
    assert rules_fired(state, chi(2026, 11, 19, 10)) == ["carrier_estimate_late"]


# --- stalled -----------------------------------------------------------------------------------


def stall_order(last_scan_at: dt.datetime):
    shipment = label(
        created=chi(2026, 11, 30, 10),
        scans=(scan("acc", chi(2026, 11, 30, 16), S.ACCEPTED), scan("t1", last_scan_at, S.IN_TRANSIT)),
    )
    return order(shipment, paid_service_level=ServiceLevel.GROUND, promised_by=ny(2026, 12, 4, 20))


def test_ground_parcel_silent_for_a_business_day_is_stalled() -> None:
    state = stall_order(ny(2026, 12, 1, 9))
    assert stalled(state, ny(2026, 12, 2, 20), CATALOG) == []  # 23 business hours
    [finding] = stalled(state, ny(2026, 12, 3, 9), CATALOG)  # 24
    assert finding.evidence["silent_business_hours"]["value"] == 24
    assert finding.evidence["last_scan"]["source"] == "tracking t1"


def test_stalled_onset_is_given_to_the_scheduler() -> None:
    assert stalled_due_at(stall_order(ny(2026, 12, 1, 9)), ny(2026, 12, 1, 9), CATALOG) == [ny(2026, 12, 3, 9)]


def test_a_weekend_without_scans_is_not_a_stall() -> None:
    state = stall_order(ny(2026, 11, 27, 15))
    assert stalled(state, ny(2026, 11, 30, 12), CATALOG) == []


def test_delivered_parcel_never_stalls() -> None:
    shipment = overnight(scan("d", ny(2026, 11, 20, 11), S.DELIVERED))
    assert stalled(order(shipment), ny(2026, 11, 25, 12), CATALOG) == []


# --- carrier_exception -------------------------------------------------------------------------


def test_address_exception_needs_action() -> None:
    shipment = overnight(scan("x", ny(2026, 11, 20, 9), S.EXCEPTION, ExceptionReason.ADDRESS, description="Bad apt"))
    [finding] = carrier_exception(order(shipment), ny(2026, 11, 20, 10), CATALOG)
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["last_scan"]["value"]["reason"] == "address"
    assert "Bad apt" in finding.summary


def test_exception_clears_when_a_later_scan_shows_progress() -> None:
    shipment = overnight(
        scan("x", ny(2026, 11, 20, 9), S.EXCEPTION, ExceptionReason.ADDRESS),
        scan("o", ny(2026, 11, 20, 11), S.OUT_FOR_DELIVERY),
    )
    assert carrier_exception(order(shipment), ny(2026, 11, 20, 12), CATALOG) == []


def test_weather_delay_and_failed_attempt_are_warnings() -> None:
    for status, reason in ((S.DELAYED, ExceptionReason.WEATHER), (S.DELIVERY_ATTEMPTED, None)):
        shipment = overnight(scan("x", ny(2026, 11, 20, 9), status, reason))
        [finding] = carrier_exception(order(shipment), ny(2026, 11, 20, 10), CATALOG)
        assert finding.severity is Severity.WARNING


def test_damaged_parcel_gets_a_replacement_plan() -> None:
    shipment = overnight(scan("x", ny(2026, 11, 20, 9), S.EXCEPTION, ExceptionReason.DAMAGED))
    [finding] = carrier_exception(order(shipment), chi(2026, 11, 20, 9), CATALOG)
    assert finding.recovery is not None
    assert finding.act_by == chi(2026, 11, 20, 17)


# --- return_or_lost ----------------------------------------------------------------------------


def test_return_to_sender_is_critical_with_a_replacement_plan() -> None:
    shipment = overnight(scan("r", ny(2026, 11, 20, 9), S.RETURN_TO_SENDER, ExceptionReason.REFUSED))
    state = order(shipment)
    assert rules_fired(state, chi(2026, 11, 20, 9)) == ["return_or_lost"]
    finding = only(evaluate(state, chi(2026, 11, 20, 9), CATALOG), "return_or_lost")
    assert finding.severity is Severity.CRITICAL
    assert finding.recovery is not None


def test_lost_parcel_is_return_or_lost_not_an_exception() -> None:
    shipment = overnight(scan("l", ny(2026, 11, 20, 9), S.EXCEPTION, ExceptionReason.LOST))
    assert rules_fired(order(shipment), chi(2026, 11, 20, 9)) == ["return_or_lost"]
    [finding] = return_or_lost(order(shipment), chi(2026, 11, 20, 9), CATALOG)
    assert "lost" in finding.summary


# --- delivered_late and event-time ordering ----------------------------------------------------


def test_delivered_late_shows_refund_eligibility_and_claim_deadline() -> None:
    shipment = overnight(scan("d", ny(2026, 11, 21, 10), S.DELIVERED))
    [finding] = delivered_late(order(shipment), ny(2026, 11, 21, 11), CATALOG)
    evidence = finding.evidence
    assert evidence["scheduled_delivery"]["value"] == ny(2026, 11, 20, 12).isoformat()
    assert evidence["guaranteed_service"]["value"] is True
    assert evidence["refund_eligible"]["value"] is True
    assert evidence["claim_deadline"]["value"] == "2026-12-05"
    assert finding.act_by == ny(2026, 12, 5, 23, 59, 59)


def test_label_uploaded_a_day_before_the_first_scan_loses_the_refund() -> None:
    shipment = overnight(scan("d", ny(2026, 11, 21, 10), S.DELIVERED), created=chi(2026, 11, 18, 17, 45))
    [finding] = delivered_late(order(shipment), ny(2026, 11, 21, 11), CATALOG)
    assert finding.evidence["label_uploaded_late"]["value"] is True
    assert finding.evidence["refund_eligible"]["value"] is False
    assert finding.act_by is None


def test_delivered_on_time_clears_everything() -> None:
    shipment = label(  # even a downgraded parcel with a late estimate: it arrived in time
        scans=(scan("a", chi(2026, 11, 18, 19), S.ACCEPTED), scan("d", ny(2026, 11, 20, 15), S.DELIVERED)),
        estimates=(estimate(MONDAY, chi(2026, 11, 19, 6)),),
    )
    assert evaluate(order(shipment), ny(2026, 11, 20, 16), CATALOG) == []


def test_late_arriving_out_for_delivery_never_overrides_delivered() -> None:
    delivered = scan("d", ny(2026, 11, 20, 11), S.DELIVERED, received=ny(2026, 11, 20, 11, 1))
    stale = scan("o", ny(2026, 11, 20, 8), S.OUT_FOR_DELIVERY, received=ny(2026, 11, 20, 14))
    skewed = scan("o2", ny(2026, 11, 20, 12), S.OUT_FOR_DELIVERY)  # carrier clock skew after delivery
    shipment = overnight(delivered, stale, skewed)
    assert current_scan(shipment).status is S.DELIVERED
    assert evaluate(order(shipment), ny(2026, 11, 20, 15), CATALOG) == []


def test_cancelled_order_yields_nothing() -> None:
    assert evaluate(order(label(), cancelled=True), chi(2026, 11, 25, 9), CATALOG) == []
