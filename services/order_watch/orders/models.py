"""Tables holding what was ordered, paid, promised, shipped and scanned."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.order_watch.db import Base


class ProcessedEvent(Base):
    """Every consumed event id, written in the same transaction as its effects: replays are no-ops."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Order(Base):
    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_tier: Mapped[str] = mapped_column(String(20))
    order_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    destination: Mapped[dict[str, Any]] = mapped_column(JSONB)
    destination_tz: Mapped[str] = mapped_column(String(64))
    residential: Mapped[bool] = mapped_column(Boolean, default=True)
    paid_service_level: Mapped[str] = mapped_column(String(20))
    promised_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    promise_as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="occurred_at of the promise in force")
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    ship_from_postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromiseVersion(Base):
    """Every promise the customer was given (placed, then each update), in the order they happened."""

    __tablename__ = "promise_versions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    promised_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    paid_service_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    destination: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_carrier_tracking", "carrier", "tracking_number"),)

    shipment_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    carrier: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str] = mapped_column(String(100))
    label_service_code: Mapped[str] = mapped_column(String(100))
    label_service_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    label_options: Mapped[list[str]] = mapped_column(JSONB, default=list)
    label_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ship_from_postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    is_reship: Mapped[bool] = mapped_column(Boolean, default=False)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrackingEvent(Base):
    """A carrier scan, kept whether or not its shipment is known yet: it attaches by
    (carrier, tracking number) as soon as the label event arrives."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        # Every column the rules read (evaluation.service), so a parcel's scans come from the index alone.
        Index(
            "ix_tracking_rules",
            "carrier",
            "tracking_number",
            "event_time",
            postgresql_include=[
                "received_at",
                "event_id",
                "source",
                "status",
                "exception_reason",
                "raw_status_code",
                "description",
                "service_level",
            ],
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    carrier: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(30))
    exception_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    raw_status_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    service_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CarrierEstimate(Base):
    """Every delivery estimate a carrier gave, with when and where it came from."""

    __tablename__ = "carrier_estimates"
    __table_args__ = (Index("ix_estimates_carrier_number", "carrier", "tracking_number"),)

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    carrier: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str] = mapped_column(String(100))
    estimated_by: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        doc="Latest instant of the estimate as received: a bare date read at the scan's zone, since the "
        "order may not be known yet. Rules re-read `estimate` at the destination (EstimatedDelivery.latest).",
    )
    estimate: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(30))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
