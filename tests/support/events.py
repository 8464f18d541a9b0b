"""Builders of contract events for tests: realistic defaults, every field overridable."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.common.contracts.envelope import Envelope, new_envelope
from services.common.contracts.orders import Address, Customer, Money, OrderPlaced, OrderPlacedEvent
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.vocab import ServiceLevel

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
STORY_LABEL_TIME = datetime(2026, 11, 18, 17, 45, tzinfo=CHICAGO)  # PRODUCT.md story 1: Wednesday evening


def order_placed(
    order_id: str,
    *,
    placed_at: datetime,
    promised_by: datetime,
    paid: ServiceLevel = ServiceLevel.NEXT_DAY,
    **overrides: Any,
) -> OrderPlacedEvent:
    payload = OrderPlaced(
        order_id=order_id,
        customer=overrides.pop("customer", Customer(customer_id="cust-1", name="Dana Buyer")),
        order_value=overrides.pop("order_value", Money(amount=Decimal("1299.00"), currency="USD")),
        placed_at=placed_at,
        destination=overrides.pop(
            "destination",
            Address(postal_code="10001", country="US", region="NY", city="New York", time_zone="America/New_York"),
        ),
        paid_service_level=paid,
        promised_by=promised_by,
        **overrides,
    )
    return new_envelope(OrderPlacedEvent, payload, occurred_at=placed_at, produced_at=placed_at, producer="test-oms")


def label_created(
    order_id: str,
    *,
    created_at: datetime,
    carrier: str = "ups",
    tracking_number: str = "1Z999AA10123456784",
    service_code: str = "03",
    shipment_id: str | None = None,
    **overrides: Any,
) -> ShipmentLabelCreatedEvent:
    payload = ShipmentLabelCreated(
        order_id=order_id,
        shipment_id=shipment_id or f"{order_id}-S1",
        carrier=carrier,
        tracking_number=tracking_number,
        label_service_code=service_code,
        label_created_at=created_at,
        **overrides,
    )
    return new_envelope(
        ShipmentLabelCreatedEvent, payload, occurred_at=created_at, produced_at=created_at, producer="test-wms"
    )


def story_events(order_id: str, tracking_number: str) -> list[Envelope[Any]]:
    """PRODUCT.md story 1: paid next-day on Wednesday, promised Friday; the label (Wednesday evening) is UPS Ground."""
    return [
        order_placed(
            order_id,
            placed_at=datetime(2026, 11, 18, 14, 0, tzinfo=CHICAGO),
            promised_by=datetime(2026, 11, 20, 20, 0, tzinfo=NEW_YORK),
            paid=ServiceLevel.NEXT_DAY,
        ),
        label_created(order_id, created_at=STORY_LABEL_TIME, tracking_number=tracking_number, service_code="03"),
    ]


def generic_scan(
    tracking_number: str, *, at: datetime, status: str = "in_transit", carrier: str = "ups", **fields: Any
) -> dict[str, Any]:
    """A canonical tracking event body for POST /webhooks/generic."""
    return {
        "carrier": carrier,
        "tracking_number": tracking_number,
        "status": status,
        "event_time": at.isoformat(),
        "description": fields.pop("description", status.replace("_", " ").title()),
        **fields,
    }


# The dev webhook secrets `make run` gives the demo feed's sources.
DEMO_SECRETS = {"ups": "demo-ups", "fedex": "demo-fedex", "generic": "whsec_ZGVtby1nZW5lcmljLXNlY3JldA=="}


def unique_order_id() -> str:
    return f"ORD-{uuid.uuid4().hex[:10].upper()}"


def days(n: float) -> timedelta:
    return timedelta(days=n)
