"""Demo data for `make run`: the PRODUCT.md story plus a few healthy orders.

Orders and labels go to Kafka as the order system and warehouse would send them; carrier
scans go through the real, signed webhook endpoint of the carrier adapter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from services.carrier_adapter.carriers import all_sources
from services.common.contracts.envelope import new_envelope
from services.common.contracts.orders import Address, Customer, Money, OrderPlaced, OrderPlacedEvent
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.logs import configure_logging
from services.common.publish import send
from services.common.settings import ServiceSettings
from services.common.vocab import CustomerTier, ServiceLevel

log = logging.getLogger("demo")
PRODUCER = "demo-feed"
NEW_YORK = Address(postal_code="10001", country="US", region="NY", city="New York", time_zone="America/New_York")


def story_order(now: datetime) -> tuple[OrderPlacedEvent, ShipmentLabelCreatedEvent]:
    """Paid next-day for a device needed in two days; the warehouse buys a ground label."""
    order_id = f"DEMO-STORY-{uuid.uuid4().hex[:6].upper()}"
    placed = OrderPlaced(
        order_id=order_id,
        customer=Customer(customer_id="cust-story", name="Avery Quinn", tier=CustomerTier.PRIORITY),
        order_value=Money(amount=Decimal("1899.00"), currency="USD"),
        placed_at=now - timedelta(hours=3),
        destination=NEW_YORK,
        paid_service_level=ServiceLevel.NEXT_DAY,
        promised_by=now + timedelta(days=2),
    )
    label = ShipmentLabelCreated(
        order_id=order_id,
        shipment_id=f"{order_id}-S1",
        carrier="ups",
        tracking_number=f"1Z{uuid.uuid4().hex[:16].upper()}",
        label_service_code="03",
        label_created_at=now,
    )
    return _wrap(placed, label, now)


def healthy_order(now: datetime, index: int) -> tuple[OrderPlacedEvent, ShipmentLabelCreatedEvent]:
    order_id = f"DEMO-{index:03d}-{uuid.uuid4().hex[:6].upper()}"
    placed = OrderPlaced(
        order_id=order_id,
        customer=Customer(customer_id=f"cust-{index}", name=f"Customer {index}"),
        order_value=Money(amount=Decimal(49 + 10 * index), currency="USD"),
        placed_at=now - timedelta(hours=5),
        destination=NEW_YORK,
        paid_service_level=ServiceLevel.GROUND,
        promised_by=now + timedelta(days=7),
    )
    label = ShipmentLabelCreated(
        order_id=order_id,
        shipment_id=f"{order_id}-S1",
        carrier="ups",
        tracking_number=f"1Z{uuid.uuid4().hex[:16].upper()}",
        label_service_code="03",
        label_created_at=now - timedelta(hours=1),
    )
    return _wrap(placed, label, now)


def _wrap(
    placed: OrderPlaced, label: ShipmentLabelCreated, now: datetime
) -> tuple[OrderPlacedEvent, ShipmentLabelCreatedEvent]:
    return (
        new_envelope(OrderPlacedEvent, placed, occurred_at=placed.placed_at, produced_at=now, producer=PRODUCER),
        new_envelope(
            ShipmentLabelCreatedEvent, label, occurred_at=label.label_created_at, produced_at=now, producer=PRODUCER
        ),
    )


async def post_scan(client: httpx.AsyncClient, base_url: str, secret: str, scan: dict[str, object]) -> None:
    body = json.dumps(scan).encode()
    headers, _ = all_sources()["generic"].sign_request(body, secret, datetime.now(UTC))
    response = await client.post(
        f"{base_url}/webhooks/generic", content=body, headers={**headers, "content-type": "application/json"}
    )
    response.raise_for_status()


async def main() -> None:
    configure_logging()
    settings = ServiceSettings()
    now = datetime.now(UTC)
    story = story_order(now)
    others = [healthy_order(now, index) for index in range(1, 6)]
    await send(settings, [event for pair in [story, *others] for event in pair])
    base_url = os.environ.get("CARRIER_ADAPTER_URL", "http://127.0.0.1:8081")
    secret = os.environ["CARRIER_ADAPTER_WEBHOOK_SECRETS__GENERIC"].split(",")[0]
    async with httpx.AsyncClient(timeout=10) as client:
        for _, label in others:
            scan = {
                "carrier": "ups",
                "tracking_number": label.payload.tracking_number,
                "status": "accepted",
                "event_time": (now - timedelta(minutes=30)).isoformat(),
                "description": "Origin scan",
                "location": {"city": "Chicago", "region": "IL", "country": "US"},
            }
            await post_scan(client, base_url, secret, scan)
    log.info("demo data sent", extra={"story_order": story[0].payload.order_id, "orders": 1 + len(others)})


if __name__ == "__main__":
    asyncio.run(main())
