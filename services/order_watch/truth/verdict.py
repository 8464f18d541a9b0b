"""The one verdict on an order, with its reason: pure, from the snapshot, the findings and `now`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from services.common.vocab import Severity
from services.order_watch.reconcile.facts import (
    after_promise_date,
    day_label,
    delivered_scan,
    fulfilled_on_time,
    is_delivered,
    live_shipments,
)
from services.order_watch.reconcile.findings import Finding
from services.order_watch.reconcile.shipping_rules import RECOVERING
from services.order_watch.reconcile.state import OrderState


class Verdict(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    RECOVERING = "recovering"
    LATE = "late"
    DELIVERED_ON_TIME = "delivered on time"
    DELIVERED_LATE = "delivered late"
    CANCELLED = "cancelled"


def judge(
    order: OrderState, findings: list[Finding], expected: dt.datetime | None, now: dt.datetime
) -> tuple[Verdict, str]:
    """The verdict and the one sentence that explains it."""
    promised = day_label(order.promised_by, order)
    if order.cancelled:
        return Verdict.CANCELLED, "The order was cancelled."
    delivered = _delivered_at(order)
    if delivered is not None and fulfilled_on_time(order):
        return Verdict.DELIVERED_ON_TIME, f"Delivered {day_label(delivered, order)}, promised {promised}."
    if delivered is not None and all(is_delivered(shipment) for shipment in live_shipments(order)):
        return Verdict.DELIVERED_LATE, f"Delivered {day_label(delivered, order)}, after the promise of {promised}."
    if now > order.promised_by:
        return Verdict.LATE, f"Not delivered, and the promise ({promised}) has passed."
    serious = [finding for finding in findings if finding.severity is not Severity.INFO]
    if serious:
        worst = min(serious, key=lambda f: (f.severity.urgency, f.act_by or order.promised_by))
        return Verdict.AT_RISK, worst.summary
    recovering = [finding for finding in findings if finding.rule == RECOVERING]
    if recovering:
        # A reship on course speaks for the order: the original's lateness is no longer the answer.
        return Verdict.RECOVERING, recovering[0].summary
    if expected is not None and after_promise_date(order, expected):
        return Verdict.AT_RISK, f"Expected {day_label(expected, order)}, after the promise of {promised}."
    if expected is None:
        return Verdict.ON_TRACK, f"Not shipped yet; promised {promised} and still on time."
    return Verdict.ON_TRACK, f"Expected {day_label(expected, order)}, promised {promised}."


def _delivered_at(order: OrderState) -> dt.datetime | None:
    """When the last delivered parcel arrived, if any has."""
    scans = [
        scan for shipment in live_shipments(order) if is_delivered(shipment) and (scan := delivered_scan(shipment))
    ]
    return max((scan.event_time for scan in scans), default=None)
