"""The snapshot of one order the reconcile rules read: what was paid, promised, labelled and scanned.

Frozen dataclasses with no behaviour beyond normalising collections to tuples; the caller
(the worker or the scheduler) maps database rows into them. Collections may arrive in any
order and with duplicates — the rules sort scans and estimates by event time themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from services.common.vocab import (
    CustomerTier,
    EstimateSource,
    ExceptionReason,
    ServiceLevel,
    ServiceOption,
    TrackingStatus,
)


@dataclass(frozen=True)
class LineState:
    """An ordered (or shipped) quantity of one SKU."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class ScanState:
    """One normalized carrier scan."""

    event_id: str
    event_time: dt.datetime
    status: TrackingStatus
    exception_reason: ExceptionReason | None = None
    raw_status_code: str | None = None
    description: str | None = None
    service_level: ServiceLevel | None = None
    """The service the carrier reports carrying, when it says."""
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class EstimateState:
    """A delivery estimate; `estimated_delivery` is the latest instant of the estimate window."""

    estimated_delivery: dt.datetime
    source: EstimateSource
    received_at: dt.datetime
    event_time: dt.datetime


@dataclass(frozen=True)
class ShipmentState:
    """One label bought for the order, with everything carriers said about it."""

    shipment_id: str
    carrier: str
    tracking_number: str
    label_service_code: str
    label_created_at: dt.datetime
    label_service_level: ServiceLevel | None = None
    label_options: frozenset[ServiceOption] = frozenset()
    voided: bool = False
    is_reship: bool = False
    label_received_at: dt.datetime | None = None
    """When we learned of the label: rules on an absence wait for the scans to have had time to
    reach us too (a backlog delivers labels long after they were made)."""
    lines: tuple[LineState, ...] = ()
    """What this parcel carries; empty means "not stated" (assumed to be the whole order)."""
    scans: tuple[ScanState, ...] = ()
    estimates: tuple[EstimateState, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "label_options", frozenset)
        _freeze(self, "lines", tuple)
        _freeze(self, "scans", tuple)
        _freeze(self, "estimates", tuple)


@dataclass(frozen=True)
class OrderState:
    """One order as the rules see it."""

    order_id: str
    customer_id: str
    customer_tier: CustomerTier
    order_value: Decimal
    currency: str
    placed_at: dt.datetime
    origin_tz: str
    destination_tz: str
    paid_service_level: ServiceLevel
    promised_by: dt.datetime
    residential: bool = True
    cancelled: bool = False
    destination_country: str | None = None
    """ISO 3166 country code of the delivery address, when the order says: its holidays apply to
    carriers we have no calendar for."""
    destination_region: str | None = None
    """The address's subdivision (state, province), for its regional holidays."""
    lines: tuple[LineState, ...] = ()
    shipments: tuple[ShipmentState, ...] = field(default=())
    received_at: dt.datetime | None = None
    """When the latest news of the order (placed, a promise update, a cancellation) reached us:
    "no label yet" is only read once its labels have had time to reach us too (a backlog
    delivers an order's label after the order)."""

    def __post_init__(self) -> None:
        _freeze(self, "lines", tuple)
        _freeze(self, "shipments", tuple)


def _freeze(instance: object, name: str, kind: type) -> None:
    # Callers may pass lists; store an immutable copy so the snapshot is hashable and safe to share.
    value = getattr(instance, name)
    if not isinstance(value, kind) and isinstance(value, Iterable):
        object.__setattr__(instance, name, kind(value))
