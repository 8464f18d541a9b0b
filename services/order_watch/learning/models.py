"""The stored delivery models: one row per fitted version, the newest in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.order_watch.db import Base


class DeliveryModelRow(Base):
    __tablename__ = "delivery_models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    window_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    window_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    model: Mapped[dict[str, Any]] = mapped_column(JSONB)
