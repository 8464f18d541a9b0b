"""Canonical vocabularies every service speaks: service levels, options, statuses, reasons."""

from __future__ import annotations

from enum import StrEnum


class ServiceLevel(StrEnum):
    """How fast a shipment was paid for or is being carried, slowest last."""

    SAME_DAY = "SAME_DAY"
    NEXT_DAY = "NEXT_DAY"
    TWO_DAY = "TWO_DAY"
    THREE_DAY = "THREE_DAY"
    GROUND = "GROUND"
    ECONOMY = "ECONOMY"

    @property
    def speed_rank(self) -> int:
        """0 for the fastest level; a larger number is slower."""
        return _SPEED_RANK[self]

    def is_slower_than(self, other: ServiceLevel) -> bool:
        return self.speed_rank > other.speed_rank


_SPEED_RANK = {level: rank for rank, level in enumerate(ServiceLevel)}


class ServiceOption(StrEnum):
    """Options bought on top of a service level."""

    SATURDAY_DELIVERY = "SATURDAY_DELIVERY"
    SIGNATURE_REQUIRED = "SIGNATURE_REQUIRED"


class TrackingStatus(StrEnum):
    """Normalized carrier tracking status."""

    PRE_TRANSIT = "pre_transit"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    RETURN_TO_SENDER = "return_to_sender"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_carrier_scan(self) -> bool:
        """True when the carrier physically has (or had) the parcel; pre-transit is only a label."""
        return self not in (TrackingStatus.PRE_TRANSIT, TrackingStatus.CANCELLED, TrackingStatus.UNKNOWN)

    @property
    def is_final(self) -> bool:
        return self in (TrackingStatus.DELIVERED, TrackingStatus.RETURN_TO_SENDER, TrackingStatus.CANCELLED)


class ExceptionReason(StrEnum):
    """Why a carrier reported an exception or delay."""

    ADDRESS = "address"
    DAMAGED = "damaged"
    WEATHER = "weather"
    CUSTOMS = "customs"
    HELD = "held"
    REFUSED = "refused"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    LOST = "lost"
    MISSORTED = "missorted"
    DELAYED = "delayed"
    RETURN_TO_SENDER = "return_to_sender"
    OTHER = "other"


class CustomerTier(StrEnum):
    """How much attention a customer's problems warrant, lowest first."""

    STANDARD = "standard"
    PRIORITY = "priority"
    VIP = "vip"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def urgency(self) -> int:
        """0 for the most urgent; sort ascending to put the worst first."""
        return _URGENCY[self]


_URGENCY = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class EstimateSource(StrEnum):
    """Where a delivery estimate came from."""

    CARRIER = "carrier"
    AGGREGATOR = "aggregator"
    ORDER_WATCH = "order_watch"


class CaseStatus(StrEnum):
    """Where one order problem stands (an alert is the case for it).

    `recovering`: a reship on course has taken over and nobody need act; the case resolves by
    itself once it is delivered, and turns `open` again if it goes wrong.
    """

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RECOVERING = "recovering"
    RESOLVED = "resolved"


UNRESOLVED_CASE = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.RECOVERING)


class TaskStatus(StrEnum):
    """Where a reshipment task stands: live while `open` or `claimed`, then closed for good."""

    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


LIVE_TASK = (TaskStatus.OPEN, TaskStatus.CLAIMED)
CLOSED_TASK = (TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.EXPIRED)

# What a person may do to a case or a task, from which statuses: the one table the API, the web
# UI and the CLI answer 409 from (the system's own moves — raise, recover, clear, expire — are
# the flows' and follow the findings).
CASE_ACTIONS: dict[str, tuple[CaseStatus, ...]] = {
    "acknowledge": (CaseStatus.OPEN,),
    "assign": UNRESOLVED_CASE,
    "resolve": UNRESOLVED_CASE,
    "reopen": (CaseStatus.RESOLVED,),
}
TASK_ACTIONS: dict[str, tuple[TaskStatus, ...]] = {
    "claim": (TaskStatus.OPEN,),
    "complete": LIVE_TASK,
    "cancel": LIVE_TASK,
}
