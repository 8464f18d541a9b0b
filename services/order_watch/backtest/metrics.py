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

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from services.order_watch.backtest.replay import ENGINE, SYSTEMS, AlertRecord, ReplayResult
from services.order_watch.backtest.truth import Failure, OrderTruth
from services.order_watch.promise import Catalog, latest_handover, load_catalog
from services.order_watch.promise.recovery import option_sets
from services.order_watch.reconcile.shipping_rules import SERVICE_DOWNGRADE

LEAD_TIME_BINS_HOURS = (0, 6, 12, 24, 48, 72, 120, 168)
LABEL_TIME_TOLERANCE = dt.timedelta(seconds=1)


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


def first_alerts(alerts: Iterable[AlertRecord]) -> dict[str, dt.datetime]:
    """The first alert time per order."""
    first: dict[str, dt.datetime] = {}
    for alert in alerts:
        if alert.order_id not in first or alert.at < first[alert.order_id]:
            first[alert.order_id] = alert.at
    return first


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


def score_alerts(
    alerts: list[AlertRecord], truths: Mapping[str, OrderTruth], deadlines: Mapping[str, dt.datetime | None]
) -> dict[str, Any]:
    """Recall, recoverable recall, lead time and false alarms of one system (or one rule)."""
    orders = len(truths)
    late = [truth for truth in truths.values() if truth.late]
    first = first_alerts(alerts)
    early = [truth for truth in late if truth.order_id in first and first[truth.order_id] < truth.promised_by]
    recoverable = [
        truth
        for truth in late
        if truth.order_id in first
        and deadlines.get(truth.order_id) is not None
        and first[truth.order_id] <= deadlines[truth.order_id]  # type: ignore[operator]
    ]
    hours = [(truth.promised_by - first[truth.order_id]).total_seconds() / 3600 for truth in early]
    false_alarms = [alert for alert in alerts if truths[alert.order_id].never_at_risk]
    on_time = [truth for truth in truths.values() if not truth.late]
    late_alerted = sum(1 for truth in late if truth.order_id in first)
    return {
        "late_orders": len(late),
        "late_orders_alerted": late_alerted,
        "precision": _ratio(late_alerted, len(first)),
        "on_time_orders_alerted": sum(1 for truth in on_time if truth.order_id in first),
        "on_time_alerted_share": _ratio(sum(1 for truth in on_time if truth.order_id in first), len(on_time)),
        "late_orders_alerted_before_promise": len(early),
        "recall": _ratio(len(early), len(late)),
        "recoverable_recall": _ratio(len(recoverable), len(late)),
        "lead_time_hours": lead_time_summary(hours),
        "alerts": len(alerts),
        "alerted_orders": len(first),
        "alerts_per_1000_orders": _per_thousand(len(alerts), orders),
        "false_alarms": len(false_alarms),
        "false_alarm_orders": len({alert.order_id for alert in false_alarms}),
        "false_alarms_per_1000_orders": _per_thousand(len(false_alarms), orders),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _per_thousand(count: int, orders: int) -> float:
    return round(1000 * count / orders, 2) if orders else 0.0


def score(result: ReplayResult, truths: Mapping[str, OrderTruth], catalog: Catalog | None = None) -> dict[str, Any]:
    """The whole scorecard: overall, per engine rule, per failure mode, downgrades at label time."""
    catalog = catalog or load_catalog()
    alerts = [alert for alert in result.alerts if alert.order_id in truths]
    deadlines = {order_id: recovery_deadline(truth, catalog) for order_id, truth in truths.items() if truth.late}
    by_system = {system: [alert for alert in alerts if alert.system == system] for system in SYSTEMS}
    engine = by_system[ENGINE]
    return {
        "orders": len(truths),
        "late_orders": sum(1 for truth in truths.values() if truth.late),
        "never_at_risk_orders": sum(1 for truth in truths.values() if truth.never_at_risk),
        "systems": {system: score_alerts(records, truths, deadlines) for system, records in by_system.items()},
        "engine_rules": _per_rule(engine, truths, deadlines),
        "by_failure": _per_failure(by_system, truths, deadlines),
        "downgrades": downgrade_catches(engine, truths),
        "replay": {
            "events": result.events,
            "evaluations": result.evaluations,
            "scheduled_checks": result.scheduled_checks,
            "resolutions": result.resolutions,
            "started_at": result.started_at.isoformat() if result.started_at else None,
            "ended_at": result.ended_at.isoformat() if result.ended_at else None,
        },
    }


def _per_rule(
    engine: list[AlertRecord], truths: Mapping[str, OrderTruth], deadlines: Mapping[str, dt.datetime | None]
) -> dict[str, Any]:
    by_rule: dict[str, list[AlertRecord]] = defaultdict(list)
    for alert in engine:
        by_rule[alert.rule].append(alert)
    return {rule: score_alerts(records, truths, deadlines) for rule, records in sorted(by_rule.items())}


def _per_failure(
    by_system: Mapping[str, list[AlertRecord]],
    truths: Mapping[str, OrderTruth],
    deadlines: Mapping[str, dt.datetime | None],
) -> dict[str, Any]:
    table = {}
    for failure in Failure:
        subset = {order_id: truth for order_id, truth in truths.items() if truth.failure is failure}
        if not subset:
            continue
        row: dict[str, Any] = {"orders": len(subset), "late_orders": sum(1 for truth in subset.values() if truth.late)}
        for system, alerts in by_system.items():
            scored = score_alerts([alert for alert in alerts if alert.order_id in subset], subset, deadlines)
            row[system] = {key: scored[key] for key in ("recall", "recoverable_recall", "alerted_orders")}
            row[system]["lead_time_median_hours"] = scored["lead_time_hours"]["median"]
        table[failure.value] = row
    return table


def downgrade_catches(engine: list[AlertRecord], truths: Mapping[str, OrderTruth]) -> dict[str, Any]:
    """Injected downgrades, and how many the engine flagged at the moment the label arrived."""
    injected = [truth for truth in truths.values() if truth.failure is Failure.DOWNGRADE]
    flagged = first_alerts(alert for alert in engine if alert.rule == SERVICE_DOWNGRADE)
    at_label = [
        truth.order_id
        for truth in injected
        if truth.order_id in flagged
        and truth.label_at is not None
        and flagged[truth.order_id] - truth.label_at <= LABEL_TIME_TOLERANCE
    ]
    missed = sorted(truth.order_id for truth in injected if truth.order_id not in at_label)
    return {"injected": len(injected), "caught_at_label_time": len(at_label), "missed": missed[:20]}
