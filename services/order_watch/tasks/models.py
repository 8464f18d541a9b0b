"""The reshipment task table; at most one live task per order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.order_watch.db import Base


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index(
            "uq_tasks_live_per_order", "order_id", unique=True, postgresql_where=text("status IN ('open', 'claimed')")
        ),
        # The board: live tasks in list order (tasks.service.SORT_KEY), a page at a time.
        Index(
            "ix_tasks_board", "act_by", "created_at", "task_id", postgresql_where=text("status IN ('open', 'claimed')")
        ),
        Index("ix_tasks_owner", "owner", postgresql_where=text("owner IS NOT NULL")),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    carrier: Mapped[str] = mapped_column(String(50))
    service_code: Mapped[str] = mapped_column(String(100))
    service_name: Mapped[str] = mapped_column(String(200))
    service_level: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(JSONB, default=list)
    expected_delivery: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    act_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    new_tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
