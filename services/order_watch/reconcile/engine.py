"""Run every rule over one order snapshot, and tell the scheduler when to look again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.order_watch.promise import Catalog
from services.order_watch.reconcile import shipping_rules, transit_rules
from services.order_watch.reconcile.facts import fulfilled_on_time
from services.order_watch.reconcile.findings import Finding
from services.order_watch.reconcile.state import OrderState

Rule = Callable[[OrderState, dt.datetime, Catalog], list[Finding]]

RULES: tuple[Rule, ...] = (
    shipping_rules.service_downgrade,
    shipping_rules.not_shipped_in_time,
    shipping_rules.split_order_unshipped,
    transit_rules.carrier_estimate_late,
    transit_rules.projected_late,
    transit_rules.stalled,
    transit_rules.carrier_exception,
    transit_rules.return_or_lost,
    transit_rules.delivered_late,
)


def _watching(order: OrderState) -> bool:
    # A cancelled order, or one delivered complete and on time, has nothing left to alert about:
    # returning no findings is what clears any alert still open for it.
    return not order.cancelled and not fulfilled_on_time(order)


def evaluate(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """Every finding for the order as of `now`, in a stable order (rule, then shipment)."""
    if not _watching(order):
        return []
    return [finding for rule in RULES for finding in rule(order, now, catalog)]


def next_check_at(
    order: OrderState, now: dt.datetime, catalog: Catalog, findings: list[Finding] | None = None
) -> dt.datetime | None:
    """The earliest instant after `now` at which a time-based rule's outcome could change.

    Pass the `findings` just evaluated for the same order and `now` to avoid running every rule
    a second time (the worker, the scheduler and the backtest always have them).

    Covers the hand-over deadlines (not shipped, split order), the onset of "stalled", the
    moments a projection or carrier estimate runs out, and the act-by of each current finding
    (after it passes, the recommended recovery changes). None when nothing is pending.
    """
    if not _watching(order):
        return None
    candidates = [
        *shipping_rules.not_shipped_due_at(order, catalog),
        *shipping_rules.split_due_at(order, catalog),
        *transit_rules.stalled_due_at(order, catalog),
        *transit_rules.projected_late_due_at(order, now, catalog),
        *(
            finding.act_by + dt.timedelta(microseconds=1)
            for finding in (evaluate(order, now, catalog) if findings is None else findings)
            if finding.act_by
        ),
    ]
    future = [instant for instant in candidates if instant > now]
    return min(future, default=None)
