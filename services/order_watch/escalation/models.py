"""Escalation tables: policy overrides per severity, and every automatic escalation made.

A record's (alert_id, key) is unique, so each reason escalates an alert once however often
the scheduler looks, and several scheduler replicas cannot escalate twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.order_watch.db import Base


class EscalationPolicyRow(Base):
    __tablename__ = "escalation_policies"

    severity: Mapped[str] = mapped_column(String(20), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100))


class EscalationRecord(Base):
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("alert_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    key: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
