"""API models of alerts and of what a person does to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from services.order_watch.reconcile.engine import team_of

ALERT_EXAMPLE = {
    "alert_id": "1f0c6a8e-3b59-4a57-9a51-0d7ad3c2f9e1",
    "order_id": "ORD-1001",
    "rule": "service_downgrade",
    "team": "fulfillment",
    "shipment_key": "ORD-1001-S1",
    "status": "acknowledged",
    "severity": "critical",
    "priority": 1,
    "summary": "Paid NEXT_DAY, shipped GROUND (ups 03); expected Mon 2026-11-23 vs promised Fri 2026-11-20",
    "evidence": {"paid_service_level": {"value": "NEXT_DAY", "source": "order", "as_of": "2026-11-18T14:00:00-06:00"}},
    "act_by": "2026-11-20T10:30:00-06:00",
    "cheapest_act_by": "2026-11-19T17:00:00-06:00",
    "findings": [
        {
            "rule": "service_downgrade",
            "shipment_id": "ORD-1001-S1",
            "severity": "critical",
            "priority": 1,
            "summary": "Paid NEXT_DAY, shipped GROUND (ups 03); expected Mon 2026-11-23 vs promised Fri 2026-11-20",
            "act_by": "2026-11-19T17:00:00-06:00",
            "last_chance": "2026-11-20T10:30:00-06:00",
            "evidence": {},
        }
    ],
    "escalation_level": 0,
    "owner": "maria",
    "opened_at": "2026-11-18T17:45:01-06:00",
    "updated_at": "2026-11-19T08:10:00-06:00",
    "resolved_at": None,
    "resolution": None,
    "version": 3,
}


class Resolution(StrEnum):
    """Why a person closed an alert (`condition_cleared` is the system's own)."""

    RESHIPPED = "reshipped"
    CUSTOMER_INFORMED = "customer_informed"
    REFUNDED = "refunded"
    CARRIER_RECOVERED = "carrier_recovered"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    OTHER = "other"


class FindingOut(BaseModel):
    """One rule's finding about the order: the evidence of its case."""

    rule: str
    shipment_id: str | None
    severity: str
    priority: int
    summary: str
    act_by: datetime | None = Field(description="The cut-off of this finding's recommended recovery.")
    last_chance: datetime | None = Field(description="The latest cut-off of any recovery that keeps the promise.")
    evidence: dict[str, Any]


class AlertOut(BaseModel):
    """The case for one order problem: led by its worst finding, with every finding inside."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": ALERT_EXAMPLE})

    alert_id: uuid.UUID
    order_id: str
    rule: str
    shipment_key: str
    status: str
    severity: str
    priority: int
    summary: str
    evidence: dict[str, Any]
    act_by: datetime | None = Field(
        description="The last chance: the latest cut-off of any recovery that still keeps the promise."
    )
    cheapest_act_by: datetime | None = Field(description="The cut-off of the recommended (cheapest) recovery.")
    findings: list[FindingOut]
    escalation_level: int
    owner: str | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def team(self) -> str:
        """The team whose alerts these are, by rule."""
        return team_of(self.rule)


class AlertChangeOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "at": "2026-11-19T08:10:00-06:00",
                "actor": "maria",
                "change": "acknowledged",
                "before": {"status": "open", "owner": None},
                "after": {"status": "acknowledged", "owner": "maria"},
            }
        },
    )

    at: datetime
    actor: str
    change: str
    before: dict[str, Any] | None
    after: dict[str, Any]


class NoteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"at": "2026-11-19T08:12:00-06:00", "actor": "maria", "text": "Called Dana."}}
    )

    at: datetime
    actor: str
    text: str


class AlertDetail(AlertOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                **ALERT_EXAMPLE,
                "history": [{"at": "2026-11-18T17:45:01-06:00", "actor": "system", "change": "raised", "before": None}],
                "notes": [{"at": "2026-11-19T08:12:00-06:00", "actor": "maria", "text": "Called Dana."}],
            }
        },
    )

    history: list[AlertChangeOut] = []
    notes: list[NoteOut] = []


class AssignIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"example": {"owner": "li.wei"}})

    owner: str = Field(min_length=1, max_length=100, description="Who owns the alert from now on.")


class NoteIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"example": {"text": "Told the customer a second unit ships tonight."}},
    )

    text: str = Field(min_length=1, max_length=4000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, json_schema_extra={"example": {"resolution": "reshipped", "note": "1Z… overnight"}}
    )

    resolution: Resolution
    note: str | None = Field(default=None, max_length=4000)


class ReopenIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, json_schema_extra={"example": {"reason": "customer says the reship did not arrive"}}
    )

    reason: str = Field(min_length=1, max_length=500)
