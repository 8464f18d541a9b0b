"""`orders.v1`: what the customer ordered, paid for and was promised. Key: order_id."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from services.common.contracts.envelope import Contract, Envelope
from services.common.vocab import CustomerTier, ServiceLevel


class Customer(Contract):
    customer_id: str = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    tier: CustomerTier = CustomerTier.STANDARD


class Money(Contract):
    amount: Decimal = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])


class Address(Contract):
    postal_code: str = Field(max_length=20)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    region: str | None = Field(default=None, max_length=100, description="State or province code")
    city: str | None = Field(default=None, max_length=100)
    time_zone: str = Field(max_length=64, description="IANA zone of the destination, e.g. America/Chicago")
    residential: bool = True


class OrderLine(Contract):
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=1)


class OrderPlaced(Contract):
    order_id: str = Field(min_length=1, max_length=100)
    customer: Customer
    order_value: Money
    placed_at: AwareDatetime
    destination: Address
    paid_service_level: ServiceLevel
    promised_by: AwareDatetime = Field(description="Latest delivery time promised to the customer.")
    lines: list[OrderLine] = Field(default_factory=list)
    ship_from_postal_code: str | None = Field(default=None, max_length=20)


class OrderUpdated(Contract):
    """A change of promise, address or paid service; absent fields are unchanged."""

    order_id: str = Field(min_length=1, max_length=100)
    promised_by: AwareDatetime | None = None
    destination: Address | None = None
    paid_service_level: ServiceLevel | None = None
    reason: str | None = Field(default=None, max_length=500)


class OrderCancelled(Contract):
    order_id: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class OrderPlacedEvent(Envelope[OrderPlaced]):
    EVENT_TYPE = "order.placed"
    event_type: Literal["order.placed"]


class OrderUpdatedEvent(Envelope[OrderUpdated]):
    EVENT_TYPE = "order.updated"
    event_type: Literal["order.updated"]


class OrderCancelledEvent(Envelope[OrderCancelled]):
    EVENT_TYPE = "order.cancelled"
    event_type: Literal["order.cancelled"]


OrderEvent = OrderPlacedEvent | OrderUpdatedEvent | OrderCancelledEvent
