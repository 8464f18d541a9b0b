"""How urgently a finding needs a person: 1 (drop everything) to 5 (when convenient).

Points from four tables — severity, customer tier, order value and time left — add up to a
score; every two points raise the priority one step. The thresholds are data, tuned here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.common.vocab import CustomerTier
from services.order_watch.reconcile.findings import Finding
from services.order_watch.reconcile.state import OrderState

TIER_POINTS = {CustomerTier.STANDARD: 0, CustomerTier.PRIORITY: 1, CustomerTier.VIP: 2}
# Order value in the order's currency, highest threshold first (currency-agnostic on purpose: coarse bands).
VALUE_POINTS = ((Decimal(1000), 2), (Decimal(250), 1))
# Time left until the finding's act-by (or the promise, when there is no act-by); overdue counts as none left.
TIME_LEFT_POINTS = ((dt.timedelta(hours=4), 2), (dt.timedelta(hours=24), 1))
LOWEST, HIGHEST = 5, 1


def priority(order: OrderState, finding: Finding, now: dt.datetime) -> int:
    """1 (most urgent) … 5, from severity, customer tier, order value and time left to act."""
    score = (
        (2 - finding.severity.urgency)
        + TIER_POINTS[order.customer_tier]
        + _band(order.order_value, VALUE_POINTS)
        + _time_points((finding.act_by or order.promised_by) - now)
    )
    return max(HIGHEST, LOWEST - score // 2)


def _band(value: Decimal, bands: tuple[tuple[Decimal, int], ...]) -> int:
    return next((points for threshold, points in bands if value >= threshold), 0)


def _time_points(left: dt.timedelta) -> int:
    return next((points for limit, points in TIME_LEFT_POINTS if left <= limit), 0)
