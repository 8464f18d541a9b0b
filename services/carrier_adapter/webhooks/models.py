"""Tables of the carrier_adapter schema: raw deliveries, normalized events, outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import declarative_base_for
from services.common.outbox import outbox_model

SCHEMA = "carrier_adapter"
Base = declarative_base_for(SCHEMA)


class Delivery(Base):
    """One accepted webhook POST, raw, so it can be re-normalized after a mapping fix."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("source", "dedupe_key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(50))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_type: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, doc="Request headers minus credentials.")
    query: Mapped[dict[str, str]] = mapped_column(JSONB, doc="Query string minus credentials.")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    event_count: Mapped[int] = mapped_column(Integer, default=0)


class TrackingEventRow(Base):
    """One normalized scan; `dedupe_key` makes the same scan from any delivery land once."""

    __tablename__ = "tracking_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(500), unique=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    source: Mapped[str] = mapped_column(String(50))
    carrier: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


OutboxMessage = outbox_model(Base)
