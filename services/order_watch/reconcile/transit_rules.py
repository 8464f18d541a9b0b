"""Rules about a parcel the carrier has: estimates, projections, silence, exceptions, delivery.

Every rule reads scans ordered by event time (see `facts`), so a late-arriving old scan
never overrides a newer one, and a finding clears itself when a newer fact contradicts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from services.common.vocab import ExceptionReason, Severity, TrackingStatus
from services.order_watch.learning.fit import MOVING
from services.order_watch.learning.model import Learned, Outcomes
from services.order_watch.learning.transit import Outlook, outlook
from services.order_watch.promise import (
    CarrierService,
    Catalog,
    RecoveryOption,
    add_business_time,
    business_time_between,
    claim_deadline,
    delivery_from_pickup,
)
from services.order_watch.promise.calendar import ONE_DAY, CarrierCalendar, local_date, local_instant
from services.order_watch.promise.delivery import NEEDS_ANOTHER_DAY, scan_ship_date
from services.order_watch.reconcile.facts import (
    NEEDS_ACTION,
    after_promise_date,
    best_recovery,
    carried_level,
    current_scan,
    data_settles_at,
    day_label,
    delivered_scan,
    exception_reason,
    exception_stage,
    first_carrier_scan,
    has_reship,
    is_delivered,
    is_finished,
    is_gone,
    latest_carrier_estimate,
    learned_transits,
    level_word,
    live_shipments,
    model_fact,
    order_evidence,
    per_parcel,
    per_snapshot,
    policy_of,
    projection,
    promised_date,
    shipment_calendar,
    shipment_service,
    superseded,
    time_label,
    watched_shipments,
)
from services.order_watch.reconcile.findings import Finding, fact
from services.order_watch.reconcile.state import EstimateState, OrderState, ScanState, ShipmentState

CARRIER_ESTIMATE_LATE = "carrier_estimate_late"
PROJECTED_LATE = "projected_late"
STALLED = "stalled"
CARRIER_EXCEPTION = "carrier_exception"
RETURN_OR_LOST = "return_or_lost"
DELIVERED_LATE = "delivered_late"

# FedEx and UPS count a delivery as late from 60 seconds after the commit time.
GUARANTEE_TOLERANCE = dt.timedelta(seconds=60)
END_OF_DAY = dt.time(23, 59, 59)


@per_snapshot
def _in_transit(order: OrderState) -> tuple[ShipmentState, ...]:
    """Live parcels still travelling: not delivered, returned or reported lost."""
    return tuple(shipment for shipment in live_shipments(order) if not (is_finished(shipment) or is_gone(shipment)))


def _watched_in_transit(order: OrderState, catalog: Catalog, now: dt.datetime) -> tuple[ShipmentState, ...]:
    """Parcels still travelling that no reship on course has taken over (the rules judge these;
    the `_due_at` functions look at every travelling parcel, an extra look being harmless)."""
    if not has_reship(order):  # nothing can be superseded
        return _in_transit(order)
    taken = superseded(order, catalog, now)
    return tuple(shipment for shipment in _in_transit(order) if shipment.shipment_id not in taken)


def _words(code: TrackingStatus | ExceptionReason) -> str:
    return code.value.replace("_", " ")


def _scan_fact(scan: ScanState) -> dict[str, Any]:
    value = {"status": scan.status, "reason": scan.exception_reason, "code": scan.raw_status_code}
    if scan.description:
        value["description"] = scan.description
    return fact(value, f"tracking {scan.event_id}", scan.event_time)


def _estimate_fact(estimate: EstimateState) -> dict[str, Any]:
    return fact(estimate.estimated_delivery, f"{estimate.source.value} estimate", estimate.event_time)


def _finding(
    rule: str,
    order: OrderState,
    shipment: ShipmentState,
    severity: Severity,
    summary: str,
    evidence: dict[str, Any],
    recovery: RecoveryOption | None,
) -> Finding:
    return Finding(
        rule=rule,
        order_id=order.order_id,
        shipment_id=shipment.shipment_id,
        severity=severity,
        act_by=recovery.act_by if recovery else None,
        summary=summary,
        evidence={**order_evidence(order), **evidence},
        recovery=recovery,
    )


def carrier_estimate_late(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """The carrier's latest estimate falls on a later destination date than the promise."""
    findings = []
    for shipment in _watched_in_transit(order, catalog, now):
        estimate = latest_carrier_estimate(shipment)
        if estimate is None or not after_promise_date(order, estimate.estimated_delivery):
            continue
        recovery = best_recovery(order, catalog, now, estimate.estimated_delivery)
        evidence = {
            "carrier_estimate": _estimate_fact(estimate),
            "estimate_received_at": fact(estimate.received_at, "order_watch", estimate.received_at),
        }
        summary = (
            f"{catalog.carrier_name(shipment.carrier)} estimates {day_label(estimate.estimated_delivery, order)}, "
            f"promised {day_label(order.promised_by, order)}"
        )
        findings.append(
            _finding(CARRIER_ESTIMATE_LATE, order, shipment, Severity.CRITICAL, summary, evidence, recovery)
        )
    return findings


def projected_late(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """The parcel will probably miss the promise while the carrier has not admitted it.

    Only once a carrier has the parcel (before that, not_shipped_in_time speaks), and only when
    the carrier gives no estimate or its estimate has passed undelivered: a live carrier estimate
    knows the lane better than we do. While the latest scan is an exception, carrier_exception
    owns the problem. With history, "probably" is the learned P(miss) at a policy threshold;
    without, our catalog projection misses the promise date. A projection reads the silence since
    the last scan, so it waits, like the absence rules, until the parcel's news has settled.
    """
    findings = []
    for shipment in _watched_in_transit(order, catalog, now):
        accepted = first_carrier_scan(shipment)
        estimate = latest_carrier_estimate(shipment)
        if accepted is None or current_scan(shipment).status not in MOVING:
            continue
        settles = data_settles_at(shipment)
        if settles is not None and now < settles:
            continue
        if estimate is not None and estimate.estimated_delivery >= now:
            continue
        finding = (
            _projected_from_model(order, shipment, accepted, now, catalog)
            if learned_transits(order, shipment, catalog)
            else _projected_from_catalog(order, shipment, accepted, now, catalog)
        )
        if finding is not None:
            findings.append(finding)
    return findings


def _projected_from_catalog(
    order: OrderState, shipment: ShipmentState, accepted: ScanState, now: dt.datetime, catalog: Catalog
) -> Finding | None:
    projected = projection(order, shipment, catalog, now)
    if not after_promise_date(order, projected):
        return None
    recovery = best_recovery(order, catalog, now, projected)
    estimate = latest_carrier_estimate(shipment)
    evidence = {
        "projected_delivery": fact(projected, "order_watch projection", now),
        "accepted": _scan_fact(accepted),
        "carrier_estimate": _estimate_fact(estimate) if estimate else None,
    }
    summary = f"Projected {day_label(projected, order)}, promised {day_label(order.promised_by, order)}"
    return _finding(PROJECTED_LATE, order, shipment, Severity.WARNING, summary, evidence, recovery)


def _projected_from_model(
    order: OrderState, shipment: ShipmentState, accepted: ScanState, now: dt.datetime, catalog: Catalog
) -> Finding | None:
    rounds = _rounds_pending(order, shipment, now, catalog)
    if rounds is not None and now < rounds.until:
        return None
    found = _model_outlook(order, shipment, catalog, local_date(now, order.destination_tz))
    if found is None:
        return None
    learned, chance = found
    severity = policy_of(catalog).severity_for(PROJECTED_LATE, chance.p_miss)
    if severity is None:
        return None
    service = shipment_service(order, shipment, catalog)
    expected = _learned_delivery(order, service, scan_ship_date(service, accepted.event_time, order.origin_tz), chance)
    recovery = best_recovery(order, catalog, now, expected)
    evidence = {
        "p_miss": fact(chance.p_miss, f"delivery model {learned.version}", now),
        "similar_parcels": fact(
            {"still_travelling": chance.similar, "took_longer": chance.longer}, f"delivery model {learned.version}", now
        ),
        "model": model_fact(learned, catalog),
        "projected_delivery": fact(expected, "delivery model: median of similar parcels", now),
        "accepted": _scan_fact(accepted),
    }
    if rounds is not None and rounds.learned is not None:
        evidence["delivery_rounds"] = fact(
            {"not_out_for_delivery_by": rounds.until, **rounds.learned.evidence()}, "delivery model", now
        )
    summary = (
        f"P(miss) {chance.p_miss:.2f} — {chance.longer} of {chance.similar} similar parcels took longer; "
        f"promised {day_label(order.promised_by, order)}"
    )
    return _finding(PROJECTED_LATE, order, shipment, severity, summary, evidence, recovery)


# A parcel not out for delivery by the hour this share of the carrier's rounds have left will
# not arrive that day.
ROUNDS_LEFT = 0.99


@dataclass(frozen=True)
class _Rounds:
    until: dt.datetime
    """Until when the promise day's own scans may still show the parcel arriving that day."""
    learned: Learned | None
    """The carrier's learned rounds (None: the parcel is already out for delivery)."""


def _rounds_pending(order: OrderState, shipment: ShipmentState, now: dt.datetime, catalog: Catalog) -> _Rounds | None:
    """On the promise day, whether the day's delivery rounds may still bring the parcel.

    At the day's start the model knows only that the parcel has not arrived yet — a few in ten
    such parcels still come that day, on the morning's rounds. By the hour nearly all of the
    carrier's rounds have left (learned from its history) the day has said which: a parcel out
    for delivery is expected today; one that is not will not come. Until then the model waits
    for the day's scans instead of alarming on the day's start. None when it is not the promise
    day, or the history has no rounds of this carrier (it sends no out-for-delivery scans).
    """
    today = local_date(now, order.destination_tz)
    if catalog.model is None or today != local_date(order.promised_by, order.destination_tz):
        return None
    last = current_scan(shipment)
    if last.status is TrackingStatus.OUT_FOR_DELIVERY and local_date(last.event_time, order.destination_tz) == today:
        return _Rounds(order.promised_by, None)
    found = catalog.model.rounds_leave_by(shipment.carrier, ROUNDS_LEFT)
    if found is None:
        return None
    hour, learned = found
    left = local_instant(today, dt.time(0), order.destination_tz) + dt.timedelta(hours=hour)
    return _Rounds(min(left, order.promised_by), learned)


@per_parcel
def _model_outlook(
    order: OrderState, shipment: ShipmentState, catalog: Catalog, today: dt.date, delay_days: int = 0
) -> tuple[Learned, Outlook] | None:
    """A travelling parcel's outlook on `today` from the most specific cell that can tell, and that cell."""
    accepted = first_carrier_scan(shipment)
    if accepted is None:
        return None
    service = shipment_service(order, shipment, catalog)
    shipped_on = scan_ship_date(service, accepted.event_time, order.origin_tz)
    promised_on = promised_date(order)
    for learned in learned_transits(order, shipment, catalog):
        chance = outlook(learned.distribution, service, shipped_on, promised_on, today, delay_days)
        if chance is not None:
            return learned, chance
    return None


def _learned_delivery(order: OrderState, service: CarrierService, shipped_on: dt.date, chance: Outlook) -> dt.datetime:
    """When similar parcels typically arrived."""
    days = int(chance.expected_days)
    saturday = service.delivers_saturday
    arrives_on = service.calendar.add_delivery_days(shipped_on, days, saturday=saturday)
    return local_instant(arrives_on, service.commit_time(order.residential), order.destination_tz)


def projected_late_due_at(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[dt.datetime]:
    """When the projection or the carrier's estimate runs out, projected_late may change.

    Also the next destination midnight after a failed attempt, exception or delay: then the
    projection moves a day further each day that passes (otherwise it only moves when it runs
    out — see `promise.project_delivery`); and every midnight while the model judges the parcel,
    since each day it is still travelling changes its P(miss).
    """
    due = []
    for shipment in _in_transit(order):
        if first_carrier_scan(shipment) is None:
            continue
        due.append(projection(order, shipment, catalog, now) + dt.timedelta(microseconds=1))
        settles = data_settles_at(shipment)
        if settles is not None:
            due.append(settles)
        if current_scan(shipment).status in NEEDS_ANOTHER_DAY or learned_transits(order, shipment, catalog):
            midnight = local_instant(local_date(now, order.destination_tz) + ONE_DAY, dt.time(0), order.destination_tz)
            due.append(midnight)
        rounds = _rounds_pending(order, shipment, now, catalog)
        if rounds is not None and rounds.until > now:
            due.append(rounds.until + dt.timedelta(microseconds=1))
        estimate = latest_carrier_estimate(shipment)
        if estimate is not None:
            due.append(estimate.estimated_delivery + dt.timedelta(microseconds=1))
    return due


def stalled(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """No scan for longer than the level's normal gap, counted in carrier business hours."""
    findings = []
    for shipment in _watched_in_transit(order, catalog, now):
        silence = _silence(order, shipment, catalog)
        if silence is None or now < silence.stalls_at:
            continue
        last, gap, learned = silence.last_scan, silence.normal_gap, silence.learned is not None
        calendar = shipment_calendar(order, shipment, catalog)
        silent = business_time_between(calendar, last.event_time, now, order.destination_tz, whole_days=learned)
        hours, normal = silent.total_seconds() / 3600, gap.total_seconds() / 3600
        # A learned silence is counted around the clock on working days; the levels table's in business hours.
        unit = "working_day_hours" if learned else "business_hours"
        evidence = {
            "last_scan": _scan_fact(last),
            f"silent_{unit}": fact(hours, "order_watch", now),
            f"normal_gap_{unit}": fact(normal, silence.gap_source, None),
        }
        if silence.learned is not None:
            evidence["model"] = model_fact(silence.learned, catalog)
        summary = f"No scan for {hours:.0f} {unit.replace('_', ' ')} (normal for {silence.normal_for}: {normal:.0f})"
        findings.append(_finding(STALLED, order, shipment, Severity.WARNING, summary, evidence, None))
    return findings


def stalled_due_at(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[dt.datetime]:
    """When each moving shipment will have been silent for its normal gap."""
    silences = (_silence(order, shipment, catalog) for shipment in _in_transit(order))
    return [silence.stalls_at for silence in silences if silence is not None]


@dataclass(frozen=True)
class Silence:
    """A moving parcel's last scan, and when the quiet after it becomes a stall."""

    last_scan: ScanState
    normal_for: str
    normal_gap: dt.timedelta
    gap_source: str
    learned: Learned | None
    stalls_at: dt.datetime
    """The instant the business time since `last_scan` reaches `normal_gap`: silent for at least
    the gap exactly from then on (business time only grows), so "stalled" is `now >= stalls_at`."""


@per_parcel
def _silence(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> Silence | None:
    """A moving parcel's silence and its normal gap: the learned quantile (policy) of this carrier's
    gaps after this status, else the levels table. None when silence means nothing: the parcel is
    not moving, or the carrier's history shows it never scans between acceptance and delivery."""
    last = current_scan(shipment)
    if last is None or last.status not in MOVING:
        return None
    model = catalog.model
    if model is not None and model.never_scans_between(shipment.carrier):
        return None
    learned = model.gap_for(shipment.carrier, last.status) if model is not None else None
    share = policy_of(catalog).lowest(STALLED)
    if learned is not None and share is not None:
        hours = learned.distribution.tail_bound(share)
        gap = dt.timedelta(hours=hours)
        normal_for = f"{catalog.carrier_name(shipment.carrier)} after {_words(last.status)}"
        source = f"delivery model {learned.version}"
    else:
        level = carried_level(order, shipment, catalog)
        gap, normal_for, source = catalog.normal_scan_gap(level), level_word(level), f"levels table: {level.value}"
    calendar = shipment_calendar(order, shipment, catalog)
    stalls_at = _stalls_at(calendar, last.event_time, gap, order.destination_tz, learned is not None)
    settles = data_settles_at(shipment)  # a backlog's later scans may still be on their way
    return Silence(last, normal_for, gap, source, learned, max(stalls_at, settles) if settles else stalls_at)


@lru_cache(maxsize=16_384)
def _stalls_at(
    calendar: CarrierCalendar, last_scan_at: dt.datetime, gap: dt.timedelta, tz: str, whole_days: bool
) -> dt.datetime:
    """`add_business_time`, memoised: every evaluation until the next scan asks the same question."""
    return add_business_time(calendar, last_scan_at, gap, tz, whole_days=whole_days)


def carrier_exception(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """The latest scan is an exception, delay or failed attempt; clears when a later scan shows progress.

    One nobody must act on (weather, a missort, a hold) stays quiet while the model says the
    promise has room for the day it costs. So does one a person usually must act on (an address)
    where, at this carrier and stage, the history shows nearly every such parcel delivered anyway."""
    findings = []
    for shipment in _watched_in_transit(order, catalog, now):
        last = current_scan(shipment)
        reason = exception_reason(last) if last is not None else None
        if reason is None:
            continue
        resolves = _carrier_resolves(shipment, last, reason, catalog)
        needs_action = reason in NEEDS_ACTION and resolves is None
        if not needs_action and _keeps_promise_despite_delay(order, shipment, now, catalog):
            continue
        # Damaged goods will not arrive usable: plan a replacement at once.
        recovery = best_recovery(order, catalog, now, None) if reason is ExceptionReason.DAMAGED else None
        severity = Severity.CRITICAL if needs_action else Severity.WARNING
        summary = f"{catalog.carrier_name(shipment.carrier)} reports {_words(last.status)} ({_words(reason)})" + (
            f": {last.description}" if last.description else ""
        )
        evidence = {"last_scan": _scan_fact(last)}
        if resolves is not None:
            evidence["carrier_resolves"] = fact(
                resolves.evidence(), "delivery model: how such exceptions ended", catalog.model.fitted_at
            )
        findings.append(_finding(CARRIER_EXCEPTION, order, shipment, severity, summary, evidence, recovery))
    return findings


def _carrier_resolves(
    shipment: ShipmentState, exception: ScanState, reason: ExceptionReason, catalog: Catalog
) -> Outcomes | None:
    """The learned outcomes saying this carrier delivers nearly every parcel after an exception
    like this one, where a person would otherwise have to act; None without such history."""
    if reason not in NEEDS_ACTION or catalog.model is None:
        return None
    return catalog.model.carrier_resolves(shipment.carrier, reason, exception_stage(shipment, exception))


def _keeps_promise_despite_delay(
    order: OrderState, shipment: ShipmentState, now: dt.datetime, catalog: Catalog
) -> bool:
    """True when the model says parcels like this one, one delivery day slower, would still mostly
    keep the promise: a delay the promise has room for is no reason to alarm anyone."""
    threshold = policy_of(catalog).lowest(CARRIER_EXCEPTION)
    found = _model_outlook(order, shipment, catalog, local_date(now, order.destination_tz), 1)
    return found is not None and threshold is not None and found[1].p_miss < threshold


def return_or_lost(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """The parcel is going back to the sender or the carrier reports it lost: it needs replacing."""
    findings = []
    for shipment in watched_shipments(order, catalog, now):
        if not is_gone(shipment):
            continue
        last = current_scan(shipment)
        recovery = best_recovery(order, catalog, now, None)
        what = "lost" if last.exception_reason is ExceptionReason.LOST else "returning to sender"
        summary = f"{catalog.carrier_name(shipment.carrier)} {shipment.tracking_number} {what}"
        evidence = {"last_scan": _scan_fact(last)}
        findings.append(_finding(RETURN_OR_LOST, order, shipment, Severity.CRITICAL, summary, evidence, recovery))
    return findings


def delivered_late(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """Delivered after the promise; shows whether a guaranteed-service refund can be claimed, and by when."""
    findings = []
    for shipment in watched_shipments(order, catalog, now):
        delivered = delivered_scan(shipment)
        if delivered is None or not is_delivered(shipment) or delivered.event_time <= order.promised_by:
            continue
        guarantee = _guarantee(order, shipment, delivered, catalog)
        act_by = guarantee.pop("claim_by")
        delivered_at, promised = (
            time_label(t, order.destination_tz) for t in (delivered.event_time, order.promised_by)
        )
        summary = f"Delivered {delivered_at}, promised {promised}" + (
            "; refund claimable" if guarantee["refund_eligible"]["value"] else ""
        )
        evidence = {"delivered": _scan_fact(delivered), **guarantee}
        finding = _finding(DELIVERED_LATE, order, shipment, Severity.WARNING, summary, evidence, None)
        findings.append(_with_act_by(finding, act_by if act_by and act_by >= now else None))
    return findings


def _guarantee(order: OrderState, shipment: ShipmentState, delivered: ScanState, catalog: Catalog) -> dict[str, Any]:
    service = shipment_service(order, shipment, catalog)
    accepted = first_carrier_scan(shipment)
    shipped_on = local_date((accepted or delivered).event_time, order.origin_tz)
    calendar = service.calendar
    if not calendar.is_pickup_day(shipped_on):
        shipped_on = calendar.next_pickup_day(shipped_on)
    scheduled = delivery_from_pickup(
        service, shipped_on, order.destination_tz, options=shipment.label_options, residential=order.residential
    )
    late_vs_commit = delivered.event_time - scheduled >= GUARANTEE_TOLERANCE
    # Carriers deny refunds when the label was created on one day and first scanned on another (EBILG_A50).
    uploaded_late = local_date(shipment.label_created_at, order.origin_tz) != shipped_on
    eligible = service.guaranteed and not service.is_default and late_vs_commit and not uploaded_late
    deadline = claim_deadline(
        service, scheduled_delivery=scheduled, shipped_on=shipped_on, destination_tz=order.destination_tz
    )
    source = f"catalog: {service.carrier} {service.code}"
    return {
        "label_service": fact({"code": service.code, "name": service.name, "level": service.level}, source, None),
        "guaranteed_service": fact(service.guaranteed, source, None),
        "scheduled_delivery": fact(scheduled, "promise engine: commit time on the ship date", shipped_on),
        "label_uploaded_late": fact(uploaded_late, "label date vs first carrier scan", shipment.label_created_at),
        "refund_eligible": fact(eligible, source, delivered.event_time),
        "claim_deadline": fact(deadline, f"{source} claim window", None),
        "claim_by": local_instant(deadline, END_OF_DAY, order.destination_tz) if eligible and deadline else None,
    }


def _with_act_by(finding: Finding, act_by: dt.datetime | None) -> Finding:
    return replace(finding, act_by=act_by)
