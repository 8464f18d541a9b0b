"""`alerts.v1`: alert life-cycle changes for CRM and paging. Key: order_id."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from services.common.contracts.envelope import Contract, Envelope
from services.common.vocab import Severity


class AlertChange(Contract):
    alert_id: uuid.UUID
    order_id: str
    shipment_id: str | None = None
    rule: str
    status: Literal["open", "acknowledged", "recovering", "resolved"]
    severity: Severity
    priority: int = Field(ge=1, le=5, description="1 is the most urgent.")
    summary: str
    act_by: AwareDatetime | None = None
    escalation_level: int = 0
    owner: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    version: int = Field(ge=1, description="Grows with each change; consumers keep the highest.")


class AlertRaisedEvent(Envelope[AlertChange]):
    EVENT_TYPE = "alert.raised"
    event_type: Literal["alert.raised"]


class AlertUpdatedEvent(Envelope[AlertChange]):
    EVENT_TYPE = "alert.updated"
    event_type: Literal["alert.updated"]


class AlertEscalatedEvent(Envelope[AlertChange]):
    EVENT_TYPE = "alert.escalated"
    event_type: Literal["alert.escalated"]


class AlertResolvedEvent(Envelope[AlertChange]):
    EVENT_TYPE = "alert.resolved"
    event_type: Literal["alert.resolved"]


AlertEvent = AlertRaisedEvent | AlertUpdatedEvent | AlertEscalatedEvent | AlertResolvedEvent
