"""Test builders for reconcile scenarios: PRODUCT.md story 1 as the default order."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.common.vocab import CustomerTier, EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.promise import load_catalog
from services.order_watch.reconcile import (
    EstimateState,
    Finding,
    LineState,
    OrderState,
    ScanState,
    ShipmentState,
    evaluate,
)

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")
CATALOG = load_catalog()

PLACED_AT = dt.datetime(2026, 11, 18, 14, 0, tzinfo=CHI)  # Wednesday
PROMISED_BY = dt.datetime(2026, 11, 20, 20, 0, tzinfo=NY)  # Friday, end of day at the customer
LABEL_TIME = dt.datetime(2026, 11, 18, 17, 45, tzinfo=CHI)  # after the 17:00 cut-off
THURSDAY_CUTOFF = dt.datetime(2026, 11, 19, 17, 0, tzinfo=CHI)


def chi(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHI)


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def order(*shipments: ShipmentState, **overrides) -> OrderState:
    base = OrderState(
        order_id="ORD-1",
        customer_id="CUST-1",
        customer_tier=CustomerTier.STANDARD,
        order_value=Decimal("899.00"),
        currency="USD",
        placed_at=PLACED_AT,
        origin_tz="America/Chicago",
        destination_tz="America/New_York",
        paid_service_level=ServiceLevel.NEXT_DAY,
        promised_by=PROMISED_BY,
        residential=True,
        lines=(LineState("DEVICE-1", 1),),
        shipments=shipments,
    )
    return replace(base, **overrides)


def label(
    shipment_id: str = "SHP-1",
    *,
    carrier: str = "ups",
    code: str = "03",
    created: dt.datetime = LABEL_TIME,
    scans: tuple[ScanState, ...] = (),
    estimates: tuple[EstimateState, ...] = (),
    **overrides,
) -> ShipmentState:
    base = ShipmentState(
        shipment_id=shipment_id,
        carrier=carrier,
        tracking_number=f"1Z{shipment_id}",
        label_service_code=code,
        label_created_at=created,
        scans=scans,
        estimates=estimates,
    )
    return replace(base, **overrides)


def scan(
    event_id: str,
    at: dt.datetime,
    status: TrackingStatus,
    reason: ExceptionReason | None = None,
    *,
    received: dt.datetime | None = None,
    level: ServiceLevel | None = None,
    description: str | None = None,
) -> ScanState:
    return ScanState(
        event_id=event_id,
        event_time=at,
        status=status,
        exception_reason=reason,
        raw_status_code=status.value.upper(),
        description=description,
        service_level=level,
        received_at=received or at + dt.timedelta(minutes=2),
    )


def estimate(
    delivery: dt.datetime,
    issued: dt.datetime,
    *,
    received: dt.datetime | None = None,
    source: EstimateSource = EstimateSource.CARRIER,
) -> EstimateState:
    return EstimateState(
        estimated_delivery=delivery,
        source=source,
        received_at=received or issued + dt.timedelta(minutes=1),
        event_time=issued,
    )


def end_of(day: dt.datetime) -> dt.datetime:
    """An estimate given as a date: its latest instant."""
    return day.replace(hour=23, minute=59, second=59)


def rules_fired(state: OrderState, now: dt.datetime) -> list[str]:
    return [finding.rule for finding in evaluate(state, now, CATALOG)]


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [finding for finding in findings if finding.rule == rule]
    assert len(matching) == 1, [finding.rule for finding in findings]
    return matching[0]
