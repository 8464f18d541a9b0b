"""API models of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "at": "2026-11-19T10:12:00-06:00",
                "actor": "maria",
                "order_id": "ORD-1001",
                "entity": "alert",
                "entity_id": "1f0c6a8e-3b59-4a57-9a51-0d7ad3c2f9e1",
                "action": "acknowledged",
                "before": {"status": "open", "owner": None},
                "after": {"status": "acknowledged", "owner": "maria"},
            }
        },
    )

    at: datetime
    actor: str
    order_id: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
