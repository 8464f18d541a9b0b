"""API models of reshipment tasks and of what people (or the warehouse system) do to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TASK_EXAMPLE = {
    "task_id": "6c1b2d0e-8d5f-4a8e-9c55-2b1f3e7a9d10",
    "order_id": "ORD-1001",
    "alert_id": "1f0c6a8e-3b59-4a57-9a51-0d7ad3c2f9e1",
    "status": "claimed",
    "carrier": "ups",
    "service_code": "01",
    "service_name": "UPS Next Day Air",
    "service_level": "NEXT_DAY",
    "options": [],
    "expected_delivery": "2026-11-20T10:30:00-05:00",
    "act_by": "2026-11-19T17:00:00-06:00",
    "reason": "Paid NEXT_DAY, shipped GROUND … Reship UPS Next Day Air: meets the promise.",
    "owner": "maria",
    "created_at": "2026-11-18T17:45:01-06:00",
    "updated_at": "2026-11-19T08:15:00-06:00",
    "closed_at": None,
    "close_reason": None,
    "new_tracking_number": None,
    "evidence": {"rule": "service_downgrade", "shipment_key": "ORD-1001-S1"},
    "version": 2,
}


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": TASK_EXAMPLE})

    task_id: uuid.UUID
    order_id: str
    alert_id: uuid.UUID | None
    status: str
    carrier: str
    service_code: str
    service_name: str
    service_level: str
    options: list[str]
    expected_delivery: datetime
    act_by: datetime
    reason: str
    owner: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    new_tracking_number: str | None
    evidence: dict[str, Any]
    version: int


class CompleteIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {"tracking_number": "1Z999AA10199999999", "carrier": "ups", "service_code": "01"}
        },
    )

    tracking_number: str = Field(min_length=1, max_length=100, description="Tracking number of the reship label.")
    carrier: str | None = Field(default=None, max_length=50, description="Defaults to the recommended carrier.")
    service_code: str | None = Field(default=None, max_length=100, description="Defaults to the recommended service.")


class CancelIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, json_schema_extra={"example": {"reason": "customer cancelled the order by phone"}}
    )

    reason: str = Field(min_length=1, max_length=500)
