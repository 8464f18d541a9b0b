"""`tasks.v1`: reshipment tasks for the warehouse system. Key: order_id."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from services.common.contracts.envelope import Contract, Envelope
from services.common.vocab import ServiceLevel, ServiceOption


class TaskChange(Contract):
    task_id: uuid.UUID
    order_id: str
    alert_id: uuid.UUID | None = None
    kind: Literal["reship"] = "reship"
    status: Literal["open", "claimed", "completed", "cancelled", "expired"]
    recommended_carrier: str
    recommended_service: str = Field(description="Carrier service name, e.g. 'UPS Next Day Air'.")
    recommended_service_level: ServiceLevel
    recommended_options: list[ServiceOption] = Field(default_factory=list)
    expected_delivery: AwareDatetime
    act_by: AwareDatetime
    reason: str
    owner: str | None = None
    version: int = Field(ge=1)


class TaskCreatedEvent(Envelope[TaskChange]):
    EVENT_TYPE = "task.created"
    event_type: Literal["task.created"]


class TaskUpdatedEvent(Envelope[TaskChange]):
    EVENT_TYPE = "task.updated"
    event_type: Literal["task.updated"]


class TaskClosedEvent(Envelope[TaskChange]):
    EVENT_TYPE = "task.closed"
    event_type: Literal["task.closed"]


TaskEvent = TaskCreatedEvent | TaskUpdatedEvent | TaskClosedEvent
