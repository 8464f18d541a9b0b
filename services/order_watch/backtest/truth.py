"""What really happened to each order: the ground truth a backtest is scored against.

The simulator knows it because it injected the failure; the importer knows the outcome
(delivered when, against which promise) but not the cause, so its failure is `unknown`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from services.common.contracts import Envelope

if TYPE_CHECKING:
    from services.order_watch.backtest.spool import Spool


class Failure(StrEnum):
    """Injected failure modes; NONE is a healthy order, UNKNOWN an imported one."""

    NONE = "none"
    DOWNGRADE = "downgrade"
    WAREHOUSE_DELAY = "warehouse_delay"
    NEVER_SCANNED = "never_scanned"
    STALL = "stall"
    EXCEPTION = "exception"
    ESTIMATE_SLIP = "estimate_slip"
    LOST = "lost"
    RETURN = "return"
    UNKNOWN = "unknown"


# Slots: a million orders' truths are held for scoring, and a slotted one is a third smaller.
@dataclass(frozen=True, slots=True)
class OrderTruth:
    """One order's outcome: promise, actual delivery (None when it never arrived) and the cause."""

    order_id: str
    promised_by: dt.datetime
    delivered_at: dt.datetime | None
    failure: Failure
    origin_tz: str
    destination_tz: str
    residential: bool = True
    label_at: dt.datetime | None = None
    placed_at: dt.datetime | None = None

    @property
    def late(self) -> bool:
        """Delivered after the promise, or never delivered at all."""
        return self.delivered_at is None or self.delivered_at > self.promised_by

    @property
    def never_at_risk(self) -> bool:
        """Healthy and on time: any alert on it is a false alarm.

        An imported on-time order counts too: its history shows nothing went wrong.
        """
        return not self.late and self.failure in (Failure.NONE, Failure.UNKNOWN)


@dataclass(frozen=True)
class Stream:
    """Events in event-time order (a list, or a `Spool` on disk), with the ground truth of every
    order they describe (None: the spool carries them, `Spool.add_truth`)."""

    events: list[Envelope[Any]] | Spool
    truths: dict[str, OrderTruth] | None
    origin_tz: str
    description: dict[str, Any] = field(default_factory=dict)
