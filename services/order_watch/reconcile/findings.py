"""What a rule reports: a Finding with its evidence, deadline and recommended recovery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from services.common.vocab import Severity
from services.order_watch.promise import RecoveryOption


@dataclass(frozen=True)
class Finding:
    """One problem with one order (and shipment): the unit an alert is raised, updated or cleared for."""

    rule: str
    order_id: str
    shipment_id: str | None
    severity: Severity
    act_by: dt.datetime | None
    summary: str
    evidence: dict[str, Any] = field(hash=False)
    recovery: RecoveryOption | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """Identity of the problem: one alert per rule, order and shipment, however often it is re-found."""
        return (self.rule, self.order_id, self.shipment_id)


def fact(value: Any, source: str, as_of: dt.datetime | dt.date | None) -> dict[str, Any]:
    """A checkable fact: its value, where it came from, and as of when."""
    return {"value": jsonable(value), "source": source, "as_of": jsonable(as_of)}


def jsonable(value: Any) -> Any:
    """Turn datetimes, decimals, enums and sets into plain JSON values."""
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
