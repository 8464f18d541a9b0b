"""`alerts.v2`: the life of each case (one per order problem) for CRM and paging. Key: order_id.

v2 because the meaning changed: a v1 alert was one rule's finding about one shipment, so one
problem could be several alerts; a v2 alert is the order's case, led by its worst finding, with
every finding inside (`findings`) and a `recovering` status while a reship on course has taken
over. `act_by` is the last chance that keeps the promise; `cheapest_act_by` the recommended
reship's cut-off."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from services.common.contracts.envelope import Contract, Envelope
from services.common.vocab import Severity


class FindingLine(Contract):
    """One rule's finding about the order: what it found, about which shipment, how bad."""

    rule: str
    shipment_id: str | None = None
    severity: Severity
    summary: str
    act_by: AwareDatetime | None = None


class AlertChange(Contract):
    alert_id: uuid.UUID
    order_id: str
    shipment_id: str | None = None
    rule: str
    status: Literal["open", "acknowledged", "recovering", "resolved"]
    severity: Severity
    priority: int = Field(ge=1, le=5, description="1 is the most urgent.")
    summary: str
    act_by: AwareDatetime | None = Field(default=None, description="The last chance that keeps the promise.")
    cheapest_act_by: AwareDatetime | None = Field(default=None, description="The recommended reship's cut-off.")
    findings: list[FindingLine] = Field(
        default_factory=list, description="Every current finding, in the rule registry's order."
    )
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
