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
