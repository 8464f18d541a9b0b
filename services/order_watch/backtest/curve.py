"""What each projected_late threshold would have cost: a precision–recall curve from one replay.

The curve's replay runs with projected_late's threshold at the curve's floor and notes, per
order, each time its P(miss) rose to a new high (`ReplayResult.crossings`). At any higher
threshold the rule would first have fired at the first such moment reaching it; every other
rule does not read that threshold, so its alerts stand. From those first alerts: the engine's
precision, share of on-time orders alerted and recall before the promise, at each threshold.
Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from services.order_watch.backtest.metrics import first_alerts
from services.order_watch.backtest.replay import ENGINE, ReplayResult
from services.order_watch.backtest.truth import OrderTruth
from services.order_watch.learning.policy import PROJECTED_LATE

CURVE_THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99)


def threshold_curve(
    probe: ReplayResult, truths: Mapping[str, OrderTruth], thresholds: Iterable[float] = CURVE_THRESHOLDS
) -> list[dict[str, Any]]:
    """One row per threshold: the engine's and projected_late's precision, on-time share and recall."""
    others = first_alerts(
        alert for alert in probe.of(ENGINE) if alert.rule != PROJECTED_LATE and alert.order_id in truths
    )
    rows = []
    for threshold in thresholds:
        projected = _first_reaching(probe.crossings, threshold, truths)
        engine = {order: min(at, others.get(order, at)) for order, at in projected.items()}
        engine.update({order: at for order, at in others.items() if order not in engine})
        rows.append({"threshold": threshold, "engine": _scores(engine, truths),
                     PROJECTED_LATE: _scores(projected, truths)})  # fmt: skip
    return rows


def _first_reaching(
    crossings: Iterable[tuple[str, dt.datetime, float]], threshold: float, truths: Mapping[str, OrderTruth]
) -> dict[str, dt.datetime]:
    first: dict[str, dt.datetime] = {}
    for order, at, p_miss in crossings:
        if p_miss >= threshold and order in truths and (order not in first or at < first[order]):
            first[order] = at
    return first


def _scores(first: Mapping[str, dt.datetime], truths: Mapping[str, OrderTruth]) -> dict[str, Any]:
    late = [truth for truth in truths.values() if truth.late]
    on_time = len(truths) - len(late)
    late_alerted = sum(1 for truth in late if truth.order_id in first)
    early = sum(1 for truth in late if truth.order_id in first and first[truth.order_id] < truth.promised_by)
    return {
        "alerted_orders": len(first),
        "precision": round(late_alerted / len(first), 4) if first else None,
        "on_time_alerted_share": round((len(first) - late_alerted) / on_time, 4) if on_time else None,
        "recall": round(early / len(late), 4) if late else None,
    }
