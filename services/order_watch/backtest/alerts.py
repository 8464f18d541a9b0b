"""The alerts a backtest counts: who raised them (the engine, or a baseline) and what each one says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ENGINE = "engine"
DELIVERED_LATE_BASELINE = "baseline_delivered_late"
CARRIER_ESTIMATE_BASELINE = "baseline_carrier_estimate"
SYSTEMS = (ENGINE, DELIVERED_LATE_BASELINE, CARRIER_ESTIMATE_BASELINE)


# Slots: a replay holds the alerts of every order in flight until the order is scored.
@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert a person would have received: raised (or reopened) at `at` by `system`'s `rule`."""

    system: str
    order_id: str
    rule: str
    shipment_id: str | None
    at: dt.datetime
    severity: str = "warning"
    act_by: dt.datetime | None = None
    reopened: bool = False


Crossing = tuple[dt.datetime, float]
"""(when, P(miss)): an order's projected_late P(miss) rose above its highest so far."""
