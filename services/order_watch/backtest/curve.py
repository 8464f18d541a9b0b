"""What each projected_late threshold would have cost: a precision–recall curve from one replay.

The curve's replay runs with projected_late's threshold at the curve's floor and notes, per
order, each time its P(miss) rose to a new high (its crossings). At any higher threshold the rule
would first have fired at the first such moment reaching it; every other rule does not read that
threshold, so its alerts stand. From those first alerts: the engine's precision, share of on-time
orders alerted and recall before the promise, at each threshold. Each order is counted once, when
it is scored (`metrics.Tally`), and curves of parts replayed apart add up. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.order_watch.backtest.alerts import AlertRecord, Crossing
from services.order_watch.backtest.truth import OrderTruth
from services.order_watch.learning.policy import PROJECTED_LATE

if TYPE_CHECKING:
    from services.order_watch.backtest.metrics import Population

CURVE_THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99)


@dataclass
class Point:
    """The orders one system would have alerted at one threshold."""

    alerted: int = 0
    late_alerted: int = 0
    early: int = 0

    def add(self, truth: OrderTruth, first: dt.datetime | None) -> None:
        if first is None:
            return
        self.alerted += 1
        if truth.late:
            self.late_alerted += 1
            self.early += first < truth.promised_by

    def merge(self, other: Point) -> None:
        self.alerted += other.alerted
        self.late_alerted += other.late_alerted
        self.early += other.early

    def scores(self, population: Population) -> dict[str, Any]:
        on_time = population.orders - population.late
        return {
            "alerted_orders": self.alerted,
            "precision": round(self.late_alerted / self.alerted, 4) if self.alerted else None,
            "on_time_alerted_share": round((self.alerted - self.late_alerted) / on_time, 4) if on_time else None,
            "recall": round(self.early / population.late, 4) if population.late else None,
        }


@dataclass
class Curve:
    """Per threshold of `CURVE_THRESHOLDS`, the engine's and projected_late's points."""

    engine: list[Point] = field(default_factory=lambda: [Point() for _ in CURVE_THRESHOLDS])
    projected: list[Point] = field(default_factory=lambda: [Point() for _ in CURVE_THRESHOLDS])

    def add(self, truth: OrderTruth, engine_alerts: Sequence[AlertRecord], crossings: Sequence[Crossing]) -> None:
        """One order: the first alert of the rules that do not read the threshold, and its P(miss) highs."""
        others = min((alert.at for alert in engine_alerts if alert.rule != PROJECTED_LATE), default=None)
        if others is None and not crossings:
            return
        for index, threshold in enumerate(CURVE_THRESHOLDS):
            projected = min((at for at, p_miss in crossings if p_miss >= threshold), default=None)
            self.projected[index].add(truth, projected)
            self.engine[index].add(truth, min((at for at in (projected, others) if at is not None), default=None))

    def merge(self, other: Curve) -> None:
        for mine, theirs in zip(self.engine + self.projected, other.engine + other.projected, strict=True):
            mine.merge(theirs)

    def rows(self, population: Population) -> list[dict[str, Any]]:
        """One row per threshold: the engine's and projected_late's precision, on-time share and recall."""
        return [
            {"threshold": threshold, "engine": engine.scores(population), PROJECTED_LATE: projected.scores(population)}
            for threshold, engine, projected in zip(CURVE_THRESHOLDS, self.engine, self.projected, strict=True)
        ]
