"""Rule thresholds as policy: one number per rule and severity, set by an admin, read by the rules.

* `projected_late`: the P(miss) at or above which a travelling parcel alerts at that severity;
* `stalled`: the share of the carrier's on-time parcels whose longest silence after that status
  the silence must outlast (0.999: a parcel has several statuses, so p99 per status would alert
  on a few in a hundred healthy parcels; a thin sample extends the bound, see `tail_bound`);
* `carrier_exception`: the P(miss), with the delivery day the exception costs, below which an
  exception nobody must act on (weather, a missort, a hold) stays quiet;
* `not_shipped_in_time`: the transit quantile the hand-over deadline allows for (0.1: even a
  parcel as fast as the fastest tenth of its kind, handed over after it, misses the promise —
  so an order not shipped by then is late nine times in ten, not one in two).

Only the learned model reads them; with no history the catalog priors apply as before. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.vocab import Severity

PROJECTED_LATE = "projected_late"
CARRIER_EXCEPTION = "carrier_exception"
STALLED = "stalled"
NOT_SHIPPED_IN_TIME = "not_shipped_in_time"
# Most severe first: a value meeting several thresholds takes the most severe.
SEVERITY_ORDER = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)

DEFAULT_THRESHOLDS: Mapping[tuple[str, Severity], float] = {
    (PROJECTED_LATE, Severity.WARNING): 0.8,
    (PROJECTED_LATE, Severity.CRITICAL): 0.95,
    (CARRIER_EXCEPTION, Severity.WARNING): 0.8,
    (STALLED, Severity.WARNING): 0.999,
    (NOT_SHIPPED_IN_TIME, Severity.CRITICAL): 0.1,
}


@dataclass(frozen=True)
class RulePolicy:
    """Thresholds by (rule, severity); hashable, so a catalog can be kept per policy."""

    thresholds: Mapping[tuple[str, Severity], float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def __hash__(self) -> int:
        return hash(tuple(sorted((rule, severity.value, value) for (rule, severity), value in self.thresholds.items())))

    def severity_for(self, rule: str, value: float) -> Severity | None:
        """The most severe level whose threshold `value` meets; None below every threshold."""
        for severity in SEVERITY_ORDER:
            threshold = self.thresholds.get((rule, severity))
            if threshold is not None and value >= threshold:
                return severity
        return None

    def lowest(self, rule: str) -> float | None:
        """The rule's least demanding threshold (a stall's quantile, a hand-over's transit quantile)."""
        values = [value for (name, _), value in self.thresholds.items() if name == rule]
        return min(values, default=None)

    def with_threshold(self, rule: str, severity: Severity, value: float) -> RulePolicy:
        return RulePolicy({**self.thresholds, (rule, severity): value})


DEFAULT_POLICY = RulePolicy()
