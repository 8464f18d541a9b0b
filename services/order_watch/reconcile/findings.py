"""What a rule reports: a Finding with its evidence, deadline and recommended recovery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from services.common.vocab import Severity
from services.order_watch.promise import RecoveryOption


class FindingKey(NamedTuple):
    """Which finding: one per order, rule and shipment however often it is re-found. An order's
    findings are the evidence of its one case (alert); the key names each within it."""

    order_id: str
    rule: str
    shipment_key: str
    """The shipment's id, or "" for a finding about the whole order."""


@dataclass(frozen=True)
class Finding:
    """One problem the rules found with one order (and shipment): evidence for the order's case."""

    rule: str
    order_id: str
    shipment_id: str | None
    severity: Severity
    act_by: dt.datetime | None
    summary: str
    evidence: dict[str, Any] = field(hash=False)
    recovery: RecoveryOption | None = None

    def __post_init__(self) -> None:
        # A summary is read aloud as a sentence, and task reasons append more: it ends with a stop.
        if not self.summary.endswith("."):
            object.__setattr__(self, "summary", self.summary + ".")

    @property
    def key(self) -> FindingKey:
        return FindingKey(self.order_id, self.rule, self.shipment_id or "")

    @property
    def last_chance(self) -> dt.datetime | None:
        """The latest act-by of any recovery that keeps the promise; None when none does."""
        return self.recovery.last_chance if self.recovery else None


def needed_recovery(findings: list[Finding]) -> Finding | None:
    """The finding whose recovery a reship task should carry: the most severe one with a recovery,
    then the soonest act-by."""
    with_recovery = [finding for finding in findings if finding.recovery is not None]
    return min(with_recovery, key=lambda f: (f.severity.urgency, f.recovery.act_by), default=None)  # type: ignore[union-attr]


PLAIN = frozenset({str, int, float, bool, type(None)})


def fact(value: Any, source: str, as_of: dt.datetime | dt.date | None) -> dict[str, Any]:
    """A checkable fact: its value, where it came from, and as of when."""
    return {"value": jsonable(value), "source": source, "as_of": jsonable(as_of)}


def jsonable(value: Any) -> Any:
    """Turn datetimes, decimals, enums and sets into plain JSON values."""
    if type(value) in PLAIN:  # most evidence values: nothing to turn (an enum's type is never one of these)
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value
