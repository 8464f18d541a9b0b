"""Notification tables: a notice per notifiable alert change, a delivery per routed channel.

A notice is written in the same transaction as the alert change (like the outbox); its
`dedupe_key` (alert id, version, status) makes one alert state notice-able once. The notifier
routes each notice to channels (one delivery row each, unique per notice and channel) and
delivers them with bounded retries; after the last failed attempt a delivery is `dead`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.order_watch.db import Base

PENDING, SENT, DEAD = "pending", "sent", "dead"


class AlertNotice(Base):
    __tablename__ = "alert_notices"
    __table_args__ = (Index("ix_alert_notices_unrouted", "id", postgresql_where="routed_at IS NULL"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    order_id: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(String(30))
    alert: Mapped[dict[str, Any]] = mapped_column(JSONB, doc="What the alert looked like after the change.")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    routed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("notice_id", "channel"),
        Index("ix_notifications_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
