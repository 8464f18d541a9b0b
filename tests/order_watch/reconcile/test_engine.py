"""evaluate, next_check_at and priority."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from services.common.vocab import CustomerTier, Severity, TrackingStatus
from services.order_watch.reconcile import (
    RULES,
    Finding,
    LineState,
    evaluate,
    next_check_at,
    priority,
    shipping_rules,
    transit_rules,
)
from services.order_watch.reconcile.engine import WATCH_AFTER_QUIET, watched_until
from tests.order_watch.reconcile.builders import (
    CATALOG,
    LABEL_TIME,
    NY,
    PROMISED_BY,
    THURSDAY_CUTOFF,
    chi,
    label,
    ny,
    order,
    scan,
)


def test_every_rule_is_registered_once() -> None:
    names = [rule.name for rule in RULES]
    assert [rule.find.__name__ for rule in RULES] == names
    assert sorted(names) == sorted(
        [
            "recovering",
            "service_downgrade",
            "not_shipped_in_time",
            "split_order_unshipped",
            "carrier_estimate_late",
            "projected_late",
            "stalled",
            "carrier_exception",
            "return_or_lost",
            "delivered_late",
        ]
    )


def test_findings_have_stable_keys_and_json_evidence() -> None:
    import json

    [finding] = evaluate(order(label()), LABEL_TIME, CATALOG)
    assert finding.key == ("ORD-1", "service_downgrade", "SHP-1")
    json.dumps(finding.evidence)
    json.dumps(finding.recovery.as_evidence())


def test_next_check_is_none_for_a_finished_or_cancelled_order() -> None:
    delivered = label(code="01", scans=(scan("d", ny(2026, 11, 20, 10), TrackingStatus.DELIVERED),))
    assert next_check_at(order(delivered), ny(2026, 11, 20, 11), CATALOG) is None
    assert next_check_at(order(label(), cancelled=True), LABEL_TIME, CATALOG) is None


def test_next_check_is_always_in_the_future() -> None:
    for now in (LABEL_TIME, THURSDAY_CUTOFF, chi(2026, 11, 20, 9), chi(2026, 11, 23, 9)):
        upcoming = next_check_at(order(label()), now, CATALOG)
        assert upcoming is None or upcoming > now


def test_a_parcel_lost_in_transit_is_checked_daily_until_quiet_for_the_watch_then_only_news_wakes_it() -> None:
    accepted = scan("acc", chi(2026, 11, 18, 20, 30), TrackingStatus.ACCEPTED)
    moving = scan("t1", chi(2026, 11, 19, 3), TrackingStatus.IN_TRANSIT)
    lost = order(label(code="01", scans=(accepted, moving)))
    end = watched_until(lost)
    assert end == PROMISED_BY + WATCH_AFTER_QUIET  # its last scan came before the promise
    a_month_late = PROMISED_BY + dt.timedelta(days=30)
    assert a_month_late < next_check_at(lost, a_month_late, CATALOG) <= a_month_late + dt.timedelta(days=1)
    assert next_check_at(lost, end, CATALOG) is None
    assert next_check_at(lost, end + dt.timedelta(days=200), CATALOG) is None
    assert {f.rule for f in evaluate(lost, end + dt.timedelta(days=1), CATALOG)} >= {"stalled"}  # the case stays
    heard = scan("t2", end + dt.timedelta(days=5), TrackingStatus.IN_TRANSIT)
    found = order(label(code="01", scans=(accepted, moving, heard)))
    assert next_check_at(found, end + dt.timedelta(days=6), CATALOG) is not None


def finding(severity: Severity, act_by: dt.datetime | None) -> Finding:
    return Finding("service_downgrade", "ORD-1", "SHP-1", severity, act_by, "x", {})


def test_vip_high_value_critical_with_little_time_left_is_priority_one() -> None:
    vip = order(customer_tier=CustomerTier.VIP, order_value=Decimal("2500"))
    assert priority(vip, finding(Severity.CRITICAL, THURSDAY_CUTOFF), THURSDAY_CUTOFF - dt.timedelta(hours=2)) == 1


def test_standard_cheap_info_with_days_left_is_priority_five() -> None:
    cheap = order(order_value=Decimal("20"))
    assert priority(cheap, finding(Severity.INFO, None), PROMISED_BY - dt.timedelta(days=5)) == 5


def test_priority_rises_as_the_deadline_nears() -> None:
    state = order()
    levels = [
        priority(state, finding(Severity.WARNING, THURSDAY_CUTOFF), THURSDAY_CUTOFF - left)
        for left in (dt.timedelta(days=3), dt.timedelta(hours=20), dt.timedelta(hours=1))
    ]
    assert levels == sorted(levels, reverse=True)
    assert levels[0] > levels[-1]


def test_priority_uses_the_promise_when_there_is_no_act_by() -> None:
    state = replace(order(), customer_tier=CustomerTier.PRIORITY)
    early = priority(state, finding(Severity.WARNING, None), PROMISED_BY - dt.timedelta(days=3))
    late = priority(state, finding(Severity.WARNING, None), PROMISED_BY + dt.timedelta(hours=1))
    assert 1 <= late < early <= 5


def test_state_accepts_lists_and_stores_tuples() -> None:
    state = order(label(scans=[scan("a", LABEL_TIME, TrackingStatus.ACCEPTED)]), lines=[])
    assert isinstance(state.shipments, tuple) and isinstance(state.shipments[0].scans, tuple)
    hash(state)


def _midnights_after(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.astimezone(NY).date() + dt.timedelta(days=1), dt.time(0), tzinfo=NY)


def test_a_moving_parcel_is_not_rechecked_at_midnight_but_one_after_a_failed_attempt_is() -> None:
    accepted = scan("acc", chi(2026, 11, 18, 20, 30), TrackingStatus.ACCEPTED)
    now = chi(2026, 11, 19, 9)
    moving = order(label(code="01", scans=(accepted,)))
    assert _midnights_after(now) not in transit_rules.projected_late_due_at(moving, now, CATALOG)
    attempted = scan("att", ny(2026, 11, 19, 8), TrackingStatus.DELIVERY_ATTEMPTED)
    retrying = order(label(code="01", scans=(accepted, attempted)))
    assert _midnights_after(now) in transit_rules.projected_late_due_at(retrying, now, CATALOG)


def test_split_order_wakes_the_scheduler_only_while_a_line_is_missing() -> None:
    whole = order(label(lines=(LineState("DEVICE-1", 1),)))
    part = order(label(lines=(LineState("DEVICE-1", 1),)), lines=(LineState("DEVICE-1", 1), LineState("CASE-2", 1)))
    assert shipping_rules.split_due_at(whole, LABEL_TIME, CATALOG) == []
    [due] = shipping_rules.split_due_at(part, LABEL_TIME, CATALOG)
    assert due > LABEL_TIME


def test_summaries_show_local_wall_clock_times_whatever_offset_the_instants_carry() -> None:
    in_utc = order(promised_by=PROMISED_BY.astimezone(dt.UTC))
    [unlabelled] = evaluate(in_utc, chi(2026, 11, 19, 23).astimezone(dt.UTC), CATALOG)
    assert unlabelled.summary.endswith("hand-over deadline, Thu Nov 19, 17:00 CST.")
    delivered = scan("d", ny(2026, 11, 21, 10).astimezone(dt.UTC), TrackingStatus.DELIVERED)
    [late] = evaluate(order(label(code="01", scans=(delivered,))), ny(2026, 11, 21, 11), CATALOG)
    assert late.summary.startswith("Delivered Sat Nov 21, 10:00 EST, promised Fri Nov 20, 20:00 EST")
