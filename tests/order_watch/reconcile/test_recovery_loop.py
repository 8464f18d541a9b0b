"""The recovery loop closes: a reship on course takes over the order's problem and raises nothing
that asks for another reship; a reship that goes wrong says so at once. And an absence is only a
fact once the data could have reached us."""

from __future__ import annotations

import datetime as dt

from services.common.vocab import Severity, TrackingStatus
from services.order_watch.reconcile import evaluate, next_check_at
from services.order_watch.reconcile.facts import DATA_ARRIVAL_GRACE
from services.order_watch.reconcile.shipping_rules import not_shipped_in_time
from tests.order_watch.reconcile.builders import CATALOG, chi, estimate, label, ny, order, scan

PROMISED_MONDAY = ny(2026, 11, 23, 20)
RESHIP_AT = chi(2026, 11, 19, 10)


def _late_original():
    # Ground, estimated Tuesday against a Monday promise: late, with a two-day reship still in time.
    return label(estimates=(estimate(ny(2026, 11, 24, 20), chi(2026, 11, 19, 9)),))


def _two_day_reship(*scans):
    return label("SHP-2", code="02", created=RESHIP_AT, is_reship=True, scans=scans)


def test_the_late_parcel_asks_for_a_reship() -> None:
    findings = evaluate(order(_late_original(), promised_by=PROMISED_MONDAY), RESHIP_AT, CATALOG)
    assert {finding.rule for finding in findings} >= {"carrier_estimate_late"}
    assert any(finding.recovery is not None for finding in findings)


def test_a_reship_on_course_is_recovering_and_asks_for_nothing() -> None:
    state = order(_late_original(), _two_day_reship(), promised_by=PROMISED_MONDAY)
    [finding] = evaluate(state, RESHIP_AT + dt.timedelta(minutes=5), CATALOG)
    assert finding.rule == "recovering"
    assert finding.shipment_id == "SHP-2"
    assert finding.severity is Severity.INFO
    assert finding.recovery is None and finding.act_by is None
    assert "1ZSHP-2" in finding.summary and "the original parcel" in finding.summary


def test_a_slower_reship_that_keeps_the_promise_is_no_downgrade() -> None:
    state = order(_late_original(), _two_day_reship(), promised_by=PROMISED_MONDAY)
    rules = {finding.rule for finding in evaluate(state, RESHIP_AT, CATALOG)}
    assert "service_downgrade" not in rules and "not_shipped_in_time" not in rules


def test_a_reship_not_handed_over_by_its_own_cutoff_brings_the_problem_back() -> None:
    state = order(_late_original(), _two_day_reship(), promised_by=PROMISED_MONDAY)
    friday = chi(2026, 11, 20, 9)
    findings = {(finding.rule, finding.shipment_id): finding for finding in evaluate(state, friday, CATALOG)}
    assert ("carrier_estimate_late", "SHP-1") in findings  # the original's lateness counts again
    missed = findings[("not_shipped_in_time", "SHP-2")]
    # Held to its own deadline (Thursday's cut-off after it was made), not the original's Wednesday.
    assert missed.evidence["latest_handover"]["value"] == chi(2026, 11, 19, 17).isoformat()
    assert "Reship" in missed.summary
    assert ("recovering", "SHP-2") not in findings


def test_a_scanned_reship_delivered_on_time_closes_the_case() -> None:
    accepted = scan("r1", chi(2026, 11, 19, 16), TrackingStatus.ACCEPTED)
    state = order(_late_original(), _two_day_reship(accepted), promised_by=PROMISED_MONDAY)
    assert [f.rule for f in evaluate(state, chi(2026, 11, 20, 9), CATALOG)] == ["recovering"]
    delivered = scan("r2", ny(2026, 11, 23, 12), TrackingStatus.DELIVERED)
    done = order(_late_original(), _two_day_reship(accepted, delivered), promised_by=PROMISED_MONDAY)
    assert evaluate(done, ny(2026, 11, 23, 13), CATALOG) == []


def test_a_label_received_late_waits_for_its_scans_to_arrive() -> None:
    # Made on Wednesday, reaching us a week later (a backlog): its scans come by webhook shortly.
    received = chi(2026, 11, 25, 9)
    state = order(label(code="13", label_received_at=received))
    assert not_shipped_in_time(state, received, CATALOG) == []
    assert next_check_at(state, received, CATALOG) == received + DATA_ARRIVAL_GRACE + dt.timedelta(microseconds=1)
    [finding] = not_shipped_in_time(state, received + DATA_ARRIVAL_GRACE + dt.timedelta(seconds=1), CATALOG)
    assert finding.severity is Severity.CRITICAL


def test_an_order_received_late_waits_for_its_labels_to_arrive() -> None:
    # Placed on Tuesday, reaching us a week later (a backlog): its label follows on the next batch.
    received = chi(2026, 11, 25, 9)
    state = order(received_at=received)
    assert not_shipped_in_time(state, received, CATALOG) == []
    assert next_check_at(state, received, CATALOG) == received + DATA_ARRIVAL_GRACE + dt.timedelta(microseconds=1)
    [finding] = not_shipped_in_time(state, received + DATA_ARRIVAL_GRACE + dt.timedelta(seconds=1), CATALOG)
    assert finding.shipment_id is None
