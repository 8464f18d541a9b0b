"""Reconcile rules: pure functions of an order snapshot and `now` that find broken or breaking promises.

No I/O and no clock reads. The worker and scheduler map rows into `state` dataclasses, call
`evaluate` (and `next_check_at` to know when to come back) and keep each order's case (alert)
in step with its findings, each named by `Finding.key`.
"""

from services.order_watch.reconcile.engine import RULES, evaluate, next_check_at
from services.order_watch.reconcile.findings import Finding, FindingKey, fact
from services.order_watch.reconcile.priority import priority
from services.order_watch.reconcile.shipping_rules import (
    not_shipped_in_time,
    service_downgrade,
    split_order_unshipped,
)
from services.order_watch.reconcile.state import EstimateState, LineState, OrderState, ScanState, ShipmentState
from services.order_watch.reconcile.transit_rules import (
    carrier_estimate_late,
    carrier_exception,
    delivered_late,
    projected_late,
    return_or_lost,
    stalled,
)

__all__ = [
    "RULES",
    "EstimateState",
    "Finding",
    "FindingKey",
    "LineState",
    "OrderState",
    "ScanState",
    "ShipmentState",
    "carrier_estimate_late",
    "carrier_exception",
    "delivered_late",
    "evaluate",
    "fact",
    "next_check_at",
    "not_shipped_in_time",
    "priority",
    "projected_late",
    "return_or_lost",
    "service_downgrade",
    "split_order_unshipped",
    "stalled",
]
