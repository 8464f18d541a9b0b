"""Rules about what the warehouse shipped: the right service, in time, and everything ordered.

These fire from labels alone — long before a carrier scans anything — or from the passing of
the latest hand-over time for the paid level (and never before it has passed).
"""

from __future__ import annotations

import datetime as dt

from services.common.vocab import Severity
from services.order_watch.promise import Catalog
from services.order_watch.reconcile.facts import (
    after_promise_date,
    best_recovery,
    data_settles_at,
    day_label,
    expected_arrival,
    first_carrier_scan,
    handover_basis,
    handover_deadline,
    is_finished,
    label_level,
    level_word,
    live_shipments,
    model_fact,
    order_evidence,
    order_settles_at,
    per_snapshot,
    reported_levels,
    service_words,
    shipment_handover_deadline,
    superseded,
    time_label,
    unshipped_quantities,
    watched_shipments,
)
from services.order_watch.reconcile.findings import Finding, fact
from services.order_watch.reconcile.state import OrderState, ShipmentState

SERVICE_DOWNGRADE = "service_downgrade"
NOT_SHIPPED_IN_TIME = "not_shipped_in_time"
SPLIT_ORDER_UNSHIPPED = "split_order_unshipped"
RECOVERING = "recovering"
# A parcel handed over just before the cut-off is often first scanned that evening at the hub;
# wait this long after the deadline before calling a labelled parcel "not shipped".
ACCEPTANCE_SCAN_GRACE = dt.timedelta(hours=6)


def service_downgrade(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """The label, or the carrier, says a slower service than the customer paid for.

    A reship is judged against the promise, not the paid level: one chosen slower because it
    still arrives in time is the recovery working, not a downgrade.
    """
    findings = []
    for shipment in watched_shipments(order, catalog, now):
        if is_finished(shipment):
            continue
        slower = _slower_service_facts(order, shipment, catalog)
        if not slower:
            continue
        finding = _downgrade_finding(order, shipment, catalog, now, slower)
        if not shipment.is_reship or finding.severity is Severity.CRITICAL:
            findings.append(finding)
    return findings


def _slower_service_facts(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> dict:
    paid = order.paid_service_level
    facts = {}
    level = label_level(shipment, catalog)
    if level is not None and level.is_slower_than(paid):
        facts["label_service_level"] = fact(level, "shipment.label_created", shipment.label_created_at)
    reported = [scan for scan in reported_levels(shipment) if scan.service_level.is_slower_than(paid)]
    if reported:
        last = reported[-1]
        facts["carrier_reported_service_level"] = fact(last.service_level, f"tracking {last.event_id}", last.event_time)
    return facts


def _downgrade_finding(
    order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime, slower: dict
) -> Finding:
    expectation = expected_arrival(order, shipment, catalog, now)
    recovery = best_recovery(order, catalog, now, expectation.delivery)
    late = after_promise_date(order, expectation.delivery)
    evidence = {
        **order_evidence(order),
        "label": _label_fact(shipment, catalog),
        **slower,
        "expected_delivery": expectation.evidence,
        "misses_promise": fact(late, "order_watch: expected vs promised destination date", now),
    }
    summary = (
        f"Paid {level_word(order.paid_service_level)}, shipped {_shipped_words(order, shipment, catalog, slower)}; "
        f"expected {day_label(expectation.delivery, order)}, promised {day_label(order.promised_by, order)}"
    )
    return Finding(
        rule=SERVICE_DOWNGRADE,
        order_id=order.order_id,
        shipment_id=shipment.shipment_id,
        severity=Severity.CRITICAL if late else Severity.WARNING,
        act_by=recovery.act_by if recovery else None,
        summary=summary,
        evidence=evidence,
        recovery=recovery,
    )


def _shipped_words(order: OrderState, shipment: ShipmentState, catalog: Catalog, slower: dict) -> str:
    """ "UPS Ground"; or, when only the carrier says it is slower, "UPS 2nd Day Air, carried as ground"."""
    service = service_words(order, shipment, catalog)
    if "label_service_level" in slower:
        return service
    return f"{service}, carried as {level_word(slower['carrier_reported_service_level']['value'])}"


def _label_fact(shipment: ShipmentState, catalog: Catalog) -> dict:
    label = {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "service_code": shipment.label_service_code,
        "level": label_level(shipment, catalog),
        "options": shipment.label_options,
    }
    return fact(label, "shipment.label_created", shipment.label_created_at)


def not_shipped_in_time(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """No live label, or a label no carrier has scanned, once its last hand-over has passed.

    An absence is only a fact once the data could have arrived: a label waits out the scan grace
    after its deadline, and the time its scans need to reach us after the label did.
    """
    labelled = bool(live_shipments(order))
    if labelled and not _unscanned(order):
        return []  # every label scanned or done with: no deadline to look up
    deadline = handover_deadline(order, catalog)
    if deadline is None:
        return []
    if not labelled:
        return (
            [_not_shipped_finding(order, None, deadline, now, catalog)]
            if now > _unlabelled_due(order, deadline)
            else []
        )
    findings = []
    for shipment in watched_shipments(order, catalog, now):
        due = _unscanned_due(order, shipment, catalog)
        if due is not None and now > due and not is_finished(shipment) and first_carrier_scan(shipment) is None:
            own = shipment_handover_deadline(order, shipment, catalog) or deadline
            findings.append(_not_shipped_finding(order, shipment, own, now, catalog))
    return findings


def _unlabelled_due(order: OrderState, deadline: dt.datetime) -> dt.datetime:
    """From when an order with no live label counts as not shipped: its deadline, once any label
    bought by then has had time to reach us."""
    settles = order_settles_at(order)
    return max(deadline, settles) if settles else deadline


@per_snapshot
def _unscanned(order: OrderState) -> tuple[ShipmentState, ...]:
    """Live parcels no carrier has scanned and that are not done with: what not_shipped_in_time watches."""
    return tuple(
        shipment
        for shipment in live_shipments(order)
        if first_carrier_scan(shipment) is None and not is_finished(shipment)
    )


def _unscanned_due(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> dt.datetime | None:
    """From when a labelled parcel without a carrier scan counts as not shipped."""
    deadline = shipment_handover_deadline(order, shipment, catalog)
    if deadline is None:
        return None
    settles = data_settles_at(shipment)
    return max(deadline + ACCEPTANCE_SCAN_GRACE, settles) if settles else deadline + ACCEPTANCE_SCAN_GRACE


def not_shipped_due_at(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[dt.datetime]:
    """When not_shipped_in_time could start firing."""
    shipments = live_shipments(order)
    if shipments and not _unscanned(order):
        return []
    deadline = handover_deadline(order, catalog)
    if deadline is None:
        return []
    if not shipments:
        return [_unlabelled_due(order, deadline) + dt.timedelta(microseconds=1)]
    pending = [_unscanned_due(order, shipment, catalog) for shipment in _unscanned(order)]
    return [due + dt.timedelta(microseconds=1) for due in pending if due is not None]


def _not_shipped_finding(
    order: OrderState, shipment: ShipmentState | None, deadline: dt.datetime, now: dt.datetime, catalog: Catalog
) -> Finding:
    current = expected_arrival(order, shipment, catalog, now).delivery if shipment else None
    recovery = best_recovery(order, catalog, now, current)
    evidence = {**order_evidence(order), "latest_handover": _handover_fact(order, deadline, now, catalog)}
    basis = handover_basis(order, catalog)
    if basis.learned is not None:
        evidence["model"] = model_fact(basis.learned, catalog)
    if shipment is None:
        evidence["live_labels"] = fact(0, "shipments", now)
        summary = (
            f"No label bought by the {level_word(order.paid_service_level)} hand-over deadline, "
            f"{time_label(deadline, order.origin_tz)}"
        )
    else:
        evidence["label"] = _label_fact(shipment, catalog)
        evidence["carrier_scans"] = fact(0, "tracking", now)
        parcel = f"{service_words(order, shipment, catalog)} {shipment.tracking_number}"
        label = f"Reship {parcel}" if shipment.is_reship else parcel
        summary = f"{label} has no carrier scan; the hand-over deadline was {time_label(deadline, order.origin_tz)}"
    return Finding(
        rule=NOT_SHIPPED_IN_TIME,
        order_id=order.order_id,
        shipment_id=shipment.shipment_id if shipment else None,
        severity=Severity.CRITICAL,
        act_by=recovery.act_by if recovery else None,
        summary=summary,
        evidence=evidence,
        recovery=recovery,
    )


def _handover_fact(order: OrderState, deadline: dt.datetime, now: dt.datetime, catalog: Catalog) -> dict:
    basis = handover_basis(order, catalog)
    if basis.learned is None:
        return fact(deadline, f"promise engine: {order.paid_service_level.value} cut-off", now)
    source = f"delivery model {basis.learned.version}: {basis.transit_days} delivery days in transit"
    return fact(deadline, source, now)


def split_order_unshipped(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """Part of the order is in no live shipment once the last hand-over time has passed."""
    missing = _missing_lines(order)
    if not missing:
        return []
    deadline = handover_deadline(order, catalog)
    if deadline is None or now <= deadline:
        return []
    recovery = best_recovery(order, catalog, now, None)
    evidence = {
        **order_evidence(order),
        "ordered": fact({line.sku: line.quantity for line in order.lines}, "order", order.placed_at),
        "unshipped": fact(missing, "shipments (live labels)", now),
        "latest_handover": fact(deadline, f"promise engine: {order.paid_service_level.value} cut-off", now),
    }
    items = ", ".join(f"{qty} x {sku}" for sku, qty in missing.items())
    return [
        Finding(
            rule=SPLIT_ORDER_UNSHIPPED,
            order_id=order.order_id,
            shipment_id=None,
            severity=Severity.CRITICAL,
            act_by=recovery.act_by if recovery else None,
            summary=f"Not in any shipment by the hand-over deadline: {items}",
            evidence=evidence,
            recovery=recovery,
        )
    ]


def split_due_at(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[dt.datetime]:
    """When split_order_unshipped could start firing: only a missing line can make it (a new or
    voided label is an event, evaluated when it comes)."""
    if not _missing_lines(order):
        return []
    deadline = handover_deadline(order, catalog)
    return [] if deadline is None else [deadline + dt.timedelta(microseconds=1)]


def _missing_lines(order: OrderState) -> dict[str, int]:
    """Ordered quantities no live shipment carries, once something has shipped (before any label,
    not_shipped_in_time speaks for the whole order)."""
    if not order.lines or not live_shipments(order):
        return {}
    return unshipped_quantities(order)


def recovering(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """A reship on course has taken over: the case is watching it, and nobody need act.

    Informational, with no recovery and no act-by: the order stays in view (its case reads
    "recovering") until the reship is delivered, and says so at once if the reship goes wrong.
    """
    taken = superseded(order, catalog, now)
    if not taken:
        return []
    findings = []
    for reship in watched_shipments(order, catalog, now):
        if not reship.is_reship or is_finished(reship):
            continue
        expectation = expected_arrival(order, reship, catalog, now)
        originals = [s for s in live_shipments(order) if s.shipment_id in taken]
        evidence = {
            **order_evidence(order),
            "reship": _label_fact(reship, catalog),
            "expected_delivery": expectation.evidence,
            "replaces": fact([s.tracking_number for s in originals], "shipments", reship.label_created_at),
        }
        original = _original_outlook(order, originals, catalog, now)
        summary = (
            f"Recovering: reshipped {service_words(order, reship, catalog)} {reship.tracking_number}, expected "
            f"{day_label(expectation.delivery, order)}{original}"
        )
        findings.append(Finding(RECOVERING, order.order_id, reship.shipment_id, Severity.INFO, None, summary, evidence))
    return findings


def _original_outlook(order: OrderState, originals: list[ShipmentState], catalog: Catalog, now: dt.datetime) -> str:
    travelling = [s for s in originals if not is_finished(s)]
    if not travelling:
        return ""
    first = travelling[0]
    return f"; the original parcel {day_label(expected_arrival(order, first, catalog, now).delivery, order)}"
