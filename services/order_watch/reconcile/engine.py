"""The rule registry: every rule, the team that owns its findings, and when it could next change;
`evaluate` runs them over one order snapshot and `next_check_at` tells the scheduler when to look again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from services.order_watch.promise import Catalog
from services.order_watch.reconcile import shipping_rules, transit_rules
from services.order_watch.reconcile.facts import data_settles_at, fulfilled_on_time, order_settles_at
from services.order_watch.reconcile.findings import Finding
from services.order_watch.reconcile.state import OrderState

Find = Callable[[OrderState, dt.datetime, Catalog], list[Finding]]
DueAt = Callable[[OrderState, dt.datetime, Catalog], list[dt.datetime]]


@dataclass(frozen=True)
class Rule:
    """One rule: its name (a finding's `rule`), the team that owns what it finds, the pure
    function finding it, and — for a rule time alone can trip — when it could start firing."""

    name: str
    team: str
    find: Find
    due_at: DueAt | None = None


FULFILLMENT, CARRIER_OPS, CUSTOMER_CARE = "fulfillment", "carrier_ops", "customer_care"

RULES: tuple[Rule, ...] = (
    Rule(shipping_rules.SERVICE_DOWNGRADE, FULFILLMENT, shipping_rules.service_downgrade),
    Rule(
        shipping_rules.NOT_SHIPPED_IN_TIME,
        FULFILLMENT,
        shipping_rules.not_shipped_in_time,
        shipping_rules.not_shipped_due_at,
    ),
    Rule(
        shipping_rules.SPLIT_ORDER_UNSHIPPED,
        FULFILLMENT,
        shipping_rules.split_order_unshipped,
        shipping_rules.split_due_at,
    ),
    Rule(transit_rules.CARRIER_ESTIMATE_LATE, CARRIER_OPS, transit_rules.carrier_estimate_late),
    Rule(transit_rules.PROJECTED_LATE, CARRIER_OPS, transit_rules.projected_late, transit_rules.projected_late_due_at),
    Rule(transit_rules.STALLED, CARRIER_OPS, transit_rules.stalled, transit_rules.stalled_due_at),
    Rule(transit_rules.CARRIER_EXCEPTION, CARRIER_OPS, transit_rules.carrier_exception),
    Rule(transit_rules.RETURN_OR_LOST, CARRIER_OPS, transit_rules.return_or_lost),
    Rule(transit_rules.DELIVERED_LATE, CUSTOMER_CARE, transit_rules.delivered_late),
    Rule(shipping_rules.RECOVERING, FULFILLMENT, shipping_rules.recovering),
)
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
TEAMS: tuple[str, ...] = tuple(dict.fromkeys(rule.team for rule in RULES))


def team_of(rule: str) -> str:
    """The team a finding of this rule (and a case led by it) belongs to."""
    found = RULES_BY_NAME.get(rule)
    return found.team if found else FULFILLMENT


def rules_of(team: str) -> list[str]:
    """Every rule whose findings belong to the team."""
    return [rule.name for rule in RULES if rule.team == team]


# How long time alone keeps an order under watch once its promise has passed and no news of it
# came: a parcel lost or returned, or an order never shipped, would otherwise be re-checked every
# day for ever (its recovery's act-by moves to each next day). Longer than any carrier's claim
# window (FedEx: up to 90 days from the ship date, ../shared/reference/promise-facts.md), so a
# refund deadline still changes its case. News (a scan, a label, an update) evaluates it again.
WATCH_AFTER_QUIET = dt.timedelta(days=100)


def watched_until(order: OrderState) -> dt.datetime:
    """The last instant time alone may change the order's findings: `WATCH_AFTER_QUIET` after the
    later of its promise and its latest news (receipt times; absent in tests, then the promise)."""
    news = [order_settles_at(order), *(data_settles_at(shipment) for shipment in order.shipments)]
    return max([order.promised_by, *(at for at in news if at is not None)]) + WATCH_AFTER_QUIET


def _watching(order: OrderState) -> bool:
    # A cancelled order, or one delivered complete and on time, has nothing left to alert about:
    # returning no findings is what clears any alert still open for it.
    return not order.cancelled and not fulfilled_on_time(order)


def evaluate(order: OrderState, now: dt.datetime, catalog: Catalog) -> list[Finding]:
    """Every finding for the order as of `now`, in a stable order (rule, then shipment)."""
    if not _watching(order):
        return []
    return [finding for rule in RULES for finding in rule.find(order, now, catalog)]


def next_check_at(
    order: OrderState, now: dt.datetime, catalog: Catalog, findings: list[Finding] | None = None
) -> dt.datetime | None:
    """The earliest instant after `now` at which a time-based rule's outcome could change.

    Pass the `findings` just evaluated for the same order and `now` to avoid running every rule
    a second time (the worker, the scheduler and the backtest always have them).

    Covers each rule's `due_at` (hand-over deadlines, the onset of "stalled", the moments a
    projection or carrier estimate runs out) and the act-by of each current finding (after it
    passes, the recommended recovery changes). None when nothing is pending, or once the order
    has been quiet past `watched_until`.
    """
    until = watched_until(order)
    if not _watching(order) or now >= until:
        return None
    candidates = [
        *(instant for rule in RULES if rule.due_at is not None for instant in rule.due_at(order, now, catalog)),
        *(
            finding.act_by + dt.timedelta(microseconds=1)
            for finding in (evaluate(order, now, catalog) if findings is None else findings)
            if finding.act_by
        ),
    ]
    upcoming = min((instant for instant in candidates if instant > now), default=None)
    return upcoming if upcoming is not None and upcoming <= until else None
