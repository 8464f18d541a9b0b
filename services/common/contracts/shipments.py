"""`shipments.v1`: labels the warehouse bought and voided. Key: order_id."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from services.common.contracts.envelope import Contract, Envelope
from services.common.contracts.orders import OrderLine
from services.common.vocab import ServiceLevel, ServiceOption


class ShipmentLabelCreated(Contract):
    order_id: str = Field(min_length=1, max_length=100)
    shipment_id: str = Field(min_length=1, max_length=100)
    carrier: str = Field(min_length=1, max_length=50, description="Carrier slug: ups, fedex, usps, dhl, …")
    tracking_number: str = Field(min_length=1, max_length=100)
    label_service_code: str = Field(
        min_length=1,
        max_length=100,
        description="The carrier's own service code printed on the label (UPS 03, FEDEX_GROUND, …)",
    )
    label_service_level: ServiceLevel | None = Field(
        default=None, description="Canonical level, when the warehouse knows it; else derived from the code."
    )
    label_options: list[ServiceOption] = Field(default_factory=list)
    label_created_at: AwareDatetime
    ship_from_postal_code: str | None = Field(default=None, max_length=20)
    lines: list[OrderLine] = Field(default_factory=list, description="What this parcel carries (split orders).")
    is_reship: bool = False


class ShipmentVoided(Contract):
    order_id: str = Field(min_length=1, max_length=100)
    shipment_id: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class ShipmentLabelCreatedEvent(Envelope[ShipmentLabelCreated]):
    EVENT_TYPE = "shipment.label_created"
    event_type: Literal["shipment.label_created"]


class ShipmentVoidedEvent(Envelope[ShipmentVoided]):
    EVENT_TYPE = "shipment.voided"
    event_type: Literal["shipment.voided"]


ShipmentEvent = ShipmentLabelCreatedEvent | ShipmentVoidedEvent
