"""API models of order state."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TrackingEventOut(ApiModel):
    event_id: uuid.UUID
    source: str
    status: str
    exception_reason: str | None
    raw_status_code: str | None
    description: str | None
    event_time: datetime
    service_level: str | None
    location: dict[str, Any] | None
    received_at: datetime


class EstimateOut(ApiModel):
    estimated_by: datetime
    estimate: dict[str, Any]
    source: str
    event_time: datetime
    received_at: datetime


class ShipmentOut(ApiModel):
    shipment_id: str
    carrier: str
    tracking_number: str
    label_service_code: str
    label_service_level: str | None
    label_options: list[str]
    label_created_at: datetime
    voided_at: datetime | None
    is_reship: bool
    tracking_events: list[TrackingEventOut] = []
    estimates: list[EstimateOut] = []


class OrderOut(ApiModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "order_id": "ORD-1001",
                "customer_id": "cust-1",
                "customer_name": "Dana Buyer",
                "customer_tier": "standard",
                "order_value": "1299.00",
                "currency": "USD",
                "placed_at": "2026-11-18T14:00:00-06:00",
                "destination": {"postal_code": "10001", "country": "US", "time_zone": "America/New_York"},
                "paid_service_level": "NEXT_DAY",
                "promised_by": "2026-11-20T20:00:00-05:00",
                "cancelled_at": None,
                "lines": [{"sku": "LAPTOP-15", "quantity": 1}],
                "shipments": [
                    {
                        "shipment_id": "ORD-1001-S1",
                        "carrier": "ups",
                        "tracking_number": "1Z999AA10123456784",
                        "label_service_code": "03",
                        "label_service_level": "GROUND",
                        "label_options": [],
                        "label_created_at": "2026-11-18T17:45:00-06:00",
                        "voided_at": None,
                        "is_reship": False,
                        "tracking_events": [],
                        "estimates": [],
                    }
                ],
            }
        },
    )

    order_id: str
    customer_id: str
    customer_name: str | None
    customer_tier: str
    order_value: Decimal
    currency: str
    placed_at: datetime
    destination: dict[str, Any]
    paid_service_level: str
    promised_by: datetime
    cancelled_at: datetime | None
    lines: list[dict[str, Any]]
    shipments: list[ShipmentOut] = []
