"""Score a replay against the ground truth: recall, recoverable recall, lead time, false alarms.

Definitions (per system — the engine, each engine rule, each baseline):

* late order: delivered after the promise, or never delivered;
* recall: late orders whose first alert came before the promise passed, over all late orders;
* recoverable recall: late orders first alerted while a recovery still existed — some service
  of some carrier, handed over at that moment (worst-case transit, Saturday delivery where
  offered), would still have met the promise; i.e. at or before the latest such hand-over;
* lead time: promise minus first alert, for late orders alerted before the promise (hours);
* precision: the share of alerted orders that were late;
* on-time orders alerted: the share of orders delivered on time that got any alert;
* false alarm: an alert on an order delivered on time that was never at risk (no injected
  failure); reported as a count, alerted orders, and per 1,000 orders;
* alert volume: alerts (raises and reopenings) per 1,000 orders.

Each order is scored once, when the replay forgets it (`Tally.add`): its truth and its alerts are
folded into counts, and then dropped, so a long history's alerts are never all held at once.
Tallies of parts replayed apart add up (`Tally.merge`), and the scorecard is read off the sum.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from services.order_watch.backtest.alerts import ENGINE, SYSTEMS, AlertRecord, Crossing
from services.order_watch.backtest.curve import Curve
from services.order_watch.backtest.truth import Failure, OrderTruth
from services.order_watch.promise import Catalog, latest_handover, load_catalog
from services.order_watch.promise.recovery import option_sets
from services.order_watch.reconcile.shipping_rules import SERVICE_DOWNGRADE

LEAD_TIME_BINS_HOURS = (0, 6, 12, 24, 48, 72, 120, 168)
LABEL_TIME_TOLERANCE = dt.timedelta(seconds=1)
MISSED_DOWNGRADES_LISTED = 20


def recovery_deadline(truth: OrderTruth, catalog: Catalog | None = None) -> dt.datetime | None:
    """The last moment a replacement shipped then would still meet the promise; None if never."""
    return _recovery_deadline(
        catalog or load_catalog(), truth.promised_by, truth.origin_tz, truth.destination_tz, truth.residential
    )


@lru_cache(maxsize=8192)
def _recovery_deadline(
    catalog: Catalog, promised_by: dt.datetime, origin_tz: str, destination_tz: str, residential: bool
) -> dt.datetime | None:
    candidates = []
    for service in catalog.services():
        for options in option_sets(service):
            act_by = latest_handover(
                service, promised_by, origin_tz, destination_tz, options=options, residential=residential,
                worst_case=True,
            )  # fmt: skip
            if act_by is not None:
                candidates.append(act_by)
    return max(candidates, default=None)


def lead_time_summary(hours: list[float]) -> dict[str, Any]:
    """Count, median, mean, quartiles, p10/p90 and a histogram of lead times in hours."""
    if not hours:
        return {"count": 0, "median": None, "mean": None, "p10": None, "p25": None, "p75": None, "p90": None,
                "histogram": _histogram([])}  # fmt: skip
    ordered = sorted(hours)
    return {
        "count": len(ordered),
        "median": round(statistics.median(ordered), 2),
        "mean": round(statistics.fmean(ordered), 2),
        "p10": round(_percentile(ordered, 0.10), 2),
        "p25": round(_percentile(ordered, 0.25), 2),
        "p75": round(_percentile(ordered, 0.75), 2),
        "p90": round(_percentile(ordered, 0.90), 2),
        "histogram": _histogram(ordered),
    }


def _percentile(ordered: list[float], share: float) -> float:
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _histogram(hours: list[float]) -> list[dict[str, Any]]:
    edges = (*LEAD_TIME_BINS_HOURS, None)
    bins = []
    for low, high in itertools.pairwise(edges):
        count = sum(1 for value in hours if value >= low and (high is None or value < high))
        bins.append({"from_hours": low, "to_hours": high, "count": count})
    return bins


@dataclass
class Population:
    """The scored orders of a scope's denominator: all of them, or those of one failure mode."""

    orders: int = 0
    late: int = 0
    never_at_risk: int = 0

    def add(self, truth: OrderTruth) -> None:
        self.orders += 1
        self.late += truth.late
        self.never_at_risk += truth.never_at_risk

    def merge(self, other: Population) -> None:
        self.orders += other.orders
        self.late += other.late
        self.never_at_risk += other.never_at_risk


@dataclass
class Scope:
    """What one system (or one engine rule, or one system on one failure mode) did to the orders it alerted."""

    alerted: int = 0
    late_alerted: int = 0
    early: int = 0
    """late orders first alerted before the promise passed"""
    recoverable: int = 0
    """late orders first alerted while a recovery still existed"""
    alerts: int = 0
    false_alarms: int = 0
    false_alarm_orders: int = 0
    lead_hours: list[float] = field(default_factory=list)

    def add(self, truth: OrderTruth, alerts: Sequence[AlertRecord], deadline: dt.datetime | None) -> None:
        """One order and its alerts in this scope (none: nothing to count)."""
        if not alerts:
            return
        first = min(alert.at for alert in alerts)
        self.alerted += 1
        self.alerts += len(alerts)
        if truth.late:
            self.late_alerted += 1
            if first < truth.promised_by:
                self.early += 1
                self.lead_hours.append((truth.promised_by - first).total_seconds() / 3600)
            if deadline is not None and first <= deadline:
                self.recoverable += 1
        elif truth.never_at_risk:
            self.false_alarms += len(alerts)
            self.false_alarm_orders += 1

    def merge(self, other: Scope) -> None:
        for name in ("alerted", "late_alerted", "early", "recoverable", "alerts", "false_alarms", "false_alarm_orders"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lead_hours.extend(other.lead_hours)

    def card(self, population: Population) -> dict[str, Any]:
        """Recall, recoverable recall, lead time and false alarms, over `population`."""
        on_time = population.orders - population.late
        on_time_alerted = self.alerted - self.late_alerted
        return {
            "late_orders": population.late,
            "late_orders_alerted": self.late_alerted,
            "precision": _ratio(self.late_alerted, self.alerted),
            "on_time_orders_alerted": on_time_alerted,
            "on_time_alerted_share": _ratio(on_time_alerted, on_time),
            "late_orders_alerted_before_promise": self.early,
            "recall": _ratio(self.early, population.late),
            "recoverable_recall": _ratio(self.recoverable, population.late),
            "lead_time_hours": lead_time_summary(self.lead_hours),
            "alerts": self.alerts,
            "alerted_orders": self.alerted,
            "alerts_per_1000_orders": _per_thousand(self.alerts, population.orders),
            "false_alarms": self.false_alarms,
            "false_alarm_orders": self.false_alarm_orders,
            "false_alarms_per_1000_orders": _per_thousand(self.false_alarms, population.orders),
        }


@dataclass
class Tally:
    """The scorecard's counts over the orders scored so far: per system, per engine rule, per
    failure mode, downgrades at label time, and the projected_late threshold curve."""

    population: Population = field(default_factory=Population)
    failures: dict[Failure, Population] = field(default_factory=lambda: defaultdict(Population))
    systems: dict[str, Scope] = field(default_factory=lambda: {system: Scope() for system in SYSTEMS})
    rules: dict[str, Scope] = field(default_factory=lambda: defaultdict(Scope))
    by_failure: dict[tuple[Failure, str], Scope] = field(default_factory=lambda: defaultdict(Scope))
    downgrades_injected: int = 0
    downgrades_caught: int = 0
    downgrades_missed: list[str] = field(default_factory=list)
    """the first order ids (sorted) of injected downgrades not flagged at label time"""
    curve: Curve = field(default_factory=Curve)

    def add(
        self, truth: OrderTruth, alerts: Sequence[AlertRecord], crossings: Sequence[Crossing], catalog: Catalog
    ) -> None:
        """Score one order, once: its truth, every alert any system raised on it, its P(miss) highs."""
        deadline = recovery_deadline(truth, catalog) if truth.late else None
        self.population.add(truth)
        self.failures[truth.failure].add(truth)
        by_system: dict[str, list[AlertRecord]] = defaultdict(list)
        by_rule: dict[str, list[AlertRecord]] = defaultdict(list)
        for alert in alerts:
            by_system[alert.system].append(alert)
            if alert.system == ENGINE:
                by_rule[alert.rule].append(alert)
        for system, found in by_system.items():
            self.systems[system].add(truth, found, deadline)
            self.by_failure[(truth.failure, system)].add(truth, found, deadline)
        for rule, found in by_rule.items():
            self.rules[rule].add(truth, found, deadline)
        self._add_downgrade(truth, by_rule.get(SERVICE_DOWNGRADE, ()))
        self.curve.add(truth, by_system.get(ENGINE, ()), crossings)

    def _add_downgrade(self, truth: OrderTruth, flagged: Sequence[AlertRecord]) -> None:
        if truth.failure is not Failure.DOWNGRADE:
            return
        self.downgrades_injected += 1
        first = min((alert.at for alert in flagged), default=None)
        if first is not None and truth.label_at is not None and first - truth.label_at <= LABEL_TIME_TOLERANCE:
            self.downgrades_caught += 1
        else:
            insort(self.downgrades_missed, truth.order_id)
            del self.downgrades_missed[MISSED_DOWNGRADES_LISTED:]

    def merge(self, other: Tally) -> None:
        """Add the counts of orders scored elsewhere (another part of the stream)."""
        self.population.merge(other.population)
        for failure, population in other.failures.items():
            self.failures[failure].merge(population)
        for mine, theirs in ((self.systems, other.systems), (self.rules, other.rules),
                             (self.by_failure, other.by_failure)):  # fmt: skip
            for key, scope in theirs.items():
                mine.setdefault(key, Scope()).merge(scope)
        self.downgrades_injected += other.downgrades_injected
        self.downgrades_caught += other.downgrades_caught
        self.downgrades_missed = sorted(self.downgrades_missed + other.downgrades_missed)[:MISSED_DOWNGRADES_LISTED]
        self.curve.merge(other.curve)

    def card(self) -> dict[str, Any]:
        """The whole scorecard: overall, per engine rule, per failure mode, downgrades at label time."""
        return {
            "orders": self.population.orders,
            "late_orders": self.population.late,
            "never_at_risk_orders": self.population.never_at_risk,
            "systems": {system: self.systems[system].card(self.population) for system in SYSTEMS},
            "engine_rules": {rule: scope.card(self.population) for rule, scope in sorted(self.rules.items())},
            "by_failure": self._failure_table(),
            "downgrades": {
                "injected": self.downgrades_injected,
                "caught_at_label_time": self.downgrades_caught,
                "missed": list(self.downgrades_missed),
            },
        }

    def curve_rows(self) -> list[dict[str, Any]]:
        """The projected_late threshold curve over the scored orders (`curve.Curve.rows`)."""
        return self.curve.rows(self.population)

    def _failure_table(self) -> dict[str, Any]:
        table = {}
        for failure in Failure:
            population = self.failures.get(failure)
            if population is None or not population.orders:
                continue
            row: dict[str, Any] = {"orders": population.orders, "late_orders": population.late}
            for system in SYSTEMS:
                scored = self.by_failure.get((failure, system), Scope()).card(population)
                row[system] = {key: scored[key] for key in ("recall", "recoverable_recall", "alerted_orders")}
                row[system]["lead_time_median_hours"] = scored["lead_time_hours"]["median"]
            table[failure.value] = row
        return table


def tally_of(
    alerts: Iterable[AlertRecord], crossings: Iterable[tuple[str, dt.datetime, float]],
    truths: dict[str, OrderTruth], catalog: Catalog,
) -> Tally:  # fmt: skip
    """The tally of a replay that kept every alert: each order of `truths` scored with its alerts."""
    alerts_of: dict[str, list[AlertRecord]] = defaultdict(list)
    crossings_of: dict[str, list[Crossing]] = defaultdict(list)
    for alert in alerts:
        alerts_of[alert.order_id].append(alert)
    for order_id, at, p_miss in crossings:
        crossings_of[order_id].append((at, p_miss))
    tally = Tally()
    for order_id, truth in truths.items():
        tally.add(truth, alerts_of.get(order_id, ()), crossings_of.get(order_id, ()), catalog)
    return tally


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _per_thousand(count: int, orders: int) -> float:
    return round(1000 * count / orders, 2) if orders else 0.0
