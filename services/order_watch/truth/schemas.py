"""API models of an order's truth."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _fact(value: Any, source: str, as_of: str) -> dict[str, Any]:
    return {"value": value, "source": source, "as_of": as_of}


class Fact(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": _fact("NEXT_DAY", "order (orders.v1)", "2026-11-18T14:00:00-06:00")}
    )

    value: Any
    source: str = Field(description="Where the fact comes from.")
    as_of: datetime | None = Field(description="When the source said so.")


class ShipmentTruth(BaseModel):
    shipment_id: str
    carrier: str
    tracking_number: str
    is_reship: bool
    label_service: Fact
    label_service_name: str
    carrier_reported_service: Fact | None
    status: Fact | None
    carrier_estimate: Fact | None
    projected_delivery: Fact | None
    delivered_at: Fact | None


class TimelineEntry(BaseModel):
    event_time: datetime
    received_at: datetime | None
    source: str
    kind: str
    description: str


class OwnedAlert(BaseModel):
    alert_id: uuid.UUID
    rule: str
    status: str
    severity: str
    priority: int
    summary: str
    owner: str | None
    act_by: datetime | None
    escalation_level: int


class OwnedTask(BaseModel):
    task_id: uuid.UUID
    status: str
    recommendation: str
    owner: str | None
    act_by: datetime
    expected_delivery: datetime


TRUTH_EXAMPLE: dict[str, Any] = {
    "order_id": "ORD-1001",
    "customer_id": "cust-1",
    "customer_name": "Dana Buyer",
    "placed_at": "2026-11-18T14:00:00-06:00",
    "verdict": "at risk",
    "reason": "Paid NEXT_DAY, shipped GROUND (ups 03); expected Mon 2026-11-23 vs promised Fri 2026-11-20",
    "summary": (
        "Paid next-day, shipped ground (UPS Ground, tracking 1Z999AA10123456784). Carrier estimate Monday Nov 23, "
        "promised Friday Nov 20, our projection Monday Nov 23. At risk: Paid NEXT_DAY, shipped GROUND (ups 03); "
        "expected Mon 2026-11-23 vs promised Fri 2026-11-20. Reship task open, owned by maria, act by Thursday "
        "17:00 CST (Nov 19): UPS Next Day Air."
    ),
    "as_of": "2026-11-19T10:05:00-06:00",
    "paid_service": _fact("NEXT_DAY", "order (orders.v1)", "2026-11-18T14:00:00-06:00"),
    "label_service": _fact("GROUND", "label ups 03 (shipments.v1)", "2026-11-18T17:45:00-06:00"),
    "carrier_reported_service": _fact("GROUND", "ups tracking via generic", "2026-11-19T09:30:00-06:00"),
    "promised_by": _fact("2026-11-20T20:00:00-05:00", "order (orders.v1)", "2026-11-18T14:00:00-06:00"),
    "carrier_estimate": _fact("2026-11-23T23:59:59-05:00", "carrier estimate", "2026-11-19T09:30:00-06:00"),
    "projected_delivery": _fact("2026-11-23T19:00:00-05:00", "order_watch projection", "2026-11-19T10:05:00-06:00"),
    "shipments": [],
    "timeline": [
        {
            "event_time": "2026-11-18T14:00:00-06:00",
            "received_at": "2026-11-18T14:00:02-06:00",
            "source": "orders.v1",
            "kind": "order.placed",
            "description": "Order placed: paid NEXT_DAY, promised Fri 2026-11-20",
        }
    ],
    "open_alerts": [],
    "open_tasks": [],
}


class OrderTruth(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": TRUTH_EXAMPLE})

    order_id: str
    customer_id: str
    customer_name: str | None
    placed_at: datetime
    destination_time_zone: str = Field(
        description="The customer's IANA time zone: promises and deliveries are days and hours there."
    )
    verdict: str = Field(description="on track, at risk, late, delivered on time, delivered late or cancelled")
    reason: str
    summary: str = Field(description="Plain language a sales rep can read to the customer.")
    as_of: datetime
    paid_service: Fact
    label_service: Fact | None
    carrier_reported_service: Fact | None
    promised_by: Fact
    carrier_estimate: Fact | None
    projected_delivery: Fact | None
    shipments: list[ShipmentTruth]
    timeline: list[TimelineEntry] = Field(description="Every source's events, in event-time order.")
    open_alerts: list[OwnedAlert]
    open_tasks: list[OwnedTask]


class TruthBrief(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                k: TRUTH_EXAMPLE[k] for k in ("order_id", "customer_id", "placed_at", "verdict", "reason", "summary")
            }
        }
    )

    order_id: str
    customer_id: str
    placed_at: datetime
    verdict: str
    reason: str
    summary: str
