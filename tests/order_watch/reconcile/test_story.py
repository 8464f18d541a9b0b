"""PRODUCT.md story 1: paid overnight on Wednesday for Friday, shipped UPS Ground."""

from services.common.vocab import ServiceLevel, Severity, TrackingStatus
from services.order_watch.reconcile import evaluate, next_check_at
from tests.order_watch.reconcile.builders import (
    CATALOG,
    LABEL_TIME,
    THURSDAY_CUTOFF,
    chi,
    end_of,
    estimate,
    label,
    ny,
    only,
    order,
    scan,
)

MONDAY_ESTIMATE = end_of(ny(2026, 11, 23))


def test_at_label_time_the_downgrade_is_flagged_with_a_next_day_recovery() -> None:
    findings = evaluate(order(label()), LABEL_TIME, CATALOG)
    assert [finding.rule for finding in findings] == ["service_downgrade"]
    downgrade = findings[0]
    assert downgrade.severity is Severity.CRITICAL
    assert downgrade.shipment_id == "SHP-1"
    assert downgrade.evidence["paid_service_level"]["value"] == "NEXT_DAY"
    assert downgrade.evidence["label_service_level"]["value"] == "GROUND"
    assert downgrade.evidence["label_service_level"]["as_of"] == LABEL_TIME.isoformat()
    recovery = downgrade.recovery
    assert recovery is not None and recovery.meets_promise
    assert recovery.service_level is ServiceLevel.NEXT_DAY
    assert (recovery.carrier, recovery.service_code) == ("ups", "13")  # same carrier preferred
    assert recovery.options == frozenset()
    assert recovery.act_by == THURSDAY_CUTOFF
    assert downgrade.act_by == THURSDAY_CUTOFF


def test_at_label_time_the_scheduler_comes_back_at_the_thursday_cutoff() -> None:
    assert next_check_at(order(label()), LABEL_TIME, CATALOG) > THURSDAY_CUTOFF
    assert next_check_at(order(label()), LABEL_TIME, CATALOG) < chi(2026, 11, 19, 17, 1)


def test_after_the_carrier_estimates_monday_the_estimate_is_late_too() -> None:
    shipment = label(
        scans=(scan("e1", chi(2026, 11, 18, 20, 30), TrackingStatus.ACCEPTED, level=ServiceLevel.GROUND),),
        estimates=(estimate(MONDAY_ESTIMATE, chi(2026, 11, 19, 6, 0)),),
    )
    now = chi(2026, 11, 19, 9, 0)
    findings = evaluate(order(shipment), now, CATALOG)
    assert sorted(finding.rule for finding in findings) == ["carrier_estimate_late", "service_downgrade"]
    late = only(findings, "carrier_estimate_late")
    assert late.evidence["carrier_estimate"]["value"].startswith("2026-11-23")
    assert "Mon Nov 23" in late.summary
    downgrade = only(findings, "service_downgrade")
    assert downgrade.evidence["carrier_reported_service_level"]["value"] == "GROUND"
    assert downgrade.evidence["expected_delivery"]["value"].startswith("2026-11-23")
    assert downgrade.recovery.act_by == THURSDAY_CUTOFF


def test_on_friday_morning_only_a_saturday_delivery_beats_monday() -> None:
    shipment = label(
        scans=(scan("e1", chi(2026, 11, 18, 20, 30), TrackingStatus.ACCEPTED),),
        estimates=(estimate(MONDAY_ESTIMATE, chi(2026, 11, 19, 6, 0)),),
    )
    recovery = only(evaluate(order(shipment), chi(2026, 11, 20, 9, 0), CATALOG), "service_downgrade").recovery
    assert recovery is not None and not recovery.meets_promise
    assert "SATURDAY_DELIVERY" in {option.value for option in recovery.options}
    assert recovery.expected_delivery.astimezone(ny(2026, 1, 1).tzinfo).date().isoformat() == "2026-11-21"
