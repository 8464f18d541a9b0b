"""The live demo feed of `make run`: the PRODUCT.md story, then a steady trickle of traffic.

Orders and labels go to Kafka as the order system and warehouse would send them. Carrier
updates go through the carrier adapter's real, signed webhook endpoints in each carrier's own
dialect (UPS Track Alert, FedEx tracking webhooks, our generic format), so a newcomer sees the
whole path — and alerts and tasks appear within a minute of starting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

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
ORIGIN = {"city": "CHICAGO", "region": "IL", "postal_code": "60601", "country": "US"}
DESTINATIONS = [
    Address(postal_code="10001", country="US", region="NY", city="New York", time_zone="America/New_York"),
    Address(postal_code="30303", country="US", region="GA", city="Atlanta", time_zone="America/New_York"),
    Address(postal_code="80202", country="US", region="CO", city="Denver", time_zone="America/Denver"),
    Address(postal_code="98101", country="US", region="WA", city="Seattle", time_zone="America/Los_Angeles"),
]
SERVICE_CODES = {
    "ups": {ServiceLevel.NEXT_DAY: "01", ServiceLevel.TWO_DAY: "02", ServiceLevel.GROUND: "03"},
    "fedex": {
        ServiceLevel.NEXT_DAY: "PRIORITY_OVERNIGHT",
        ServiceLevel.TWO_DAY: "FEDEX_2_DAY",
        ServiceLevel.GROUND: "FEDEX_GROUND",
    },
}
TRANSIT_DAYS = {ServiceLevel.NEXT_DAY: 1, ServiceLevel.TWO_DAY: 2, ServiceLevel.GROUND: 5}
STAGES = ("accepted", "in_transit", "out_for_delivery", "delivered")


@dataclass
class Parcel:
    order_id: str
    carrier: str
    tracking_number: str
    destination: Address
    promised_by: datetime
    stage: int = -1
    slips: bool = False
    weather: bool = False


def end_of_day(moment: datetime, days: int, zone: str) -> datetime:
    local = (moment + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return local.replace(hour=20, minute=0, second=0, microsecond=0)


def new_order(rng: random.Random, now: datetime, *, story: bool = False) -> tuple[list, Parcel]:
    """An order and its label; the story (and one order in ten) is paid fast but shipped ground."""
    paid = (
        ServiceLevel.NEXT_DAY
        if story
        else rng.choice([ServiceLevel.NEXT_DAY, ServiceLevel.TWO_DAY, *[ServiceLevel.GROUND] * 2])
    )
    carrier = "ups" if story else rng.choice(["ups", "fedex"])
    shipped = ServiceLevel.GROUND if story or (paid != ServiceLevel.GROUND and rng.random() < 0.1) else paid
    destination = DESTINATIONS[0] if story else rng.choice(DESTINATIONS)
    order_id = f"DEMO-{'STORY-' if story else ''}{uuid.uuid4().hex[:8].upper()}"
    promised_by = end_of_day(now, TRANSIT_DAYS[paid] + 1, destination.time_zone)
    tier = CustomerTier.PRIORITY if story else rng.choice([CustomerTier.STANDARD] * 4 + [CustomerTier.VIP])
    placed = OrderPlaced(
        order_id=order_id,
        customer=Customer(customer_id=f"cust-{rng.randint(1, 400)}", name="Avery Quinn" if story else None, tier=tier),
        order_value=Money(amount=Decimal("1899.00") if story else Decimal(rng.randint(20, 1500)), currency="USD"),
        placed_at=now - timedelta(hours=2),
        destination=destination,
        paid_service_level=paid,
        promised_by=promised_by,
    )
    tracking_number = f"1Z{uuid.uuid4().hex[:16].upper()}" if carrier == "ups" else str(rng.randint(10**11, 10**12 - 1))
    label = ShipmentLabelCreated(
        order_id=order_id,
        shipment_id=f"{order_id}-S1",
        carrier=carrier,
        tracking_number=tracking_number,
        label_service_code=SERVICE_CODES[carrier][shipped],
        label_created_at=now,
    )
    events = [
        new_envelope(OrderPlacedEvent, placed, occurred_at=placed.placed_at, produced_at=now, producer=PRODUCER),
        new_envelope(ShipmentLabelCreatedEvent, label, occurred_at=now, produced_at=now, producer=PRODUCER),
    ]
    parcel = Parcel(
        order_id,
        carrier,
        tracking_number,
        destination,
        promised_by,
        slips=story or rng.random() < 0.1,
        weather=rng.random() < 0.05,
    )
    return events, parcel


def ups_alert(parcel: Parcel, stage: str, now: datetime, estimate: datetime) -> dict[str, object]:
    """A UPS Track Alert push (carriers.md §4): local time, GMT time and offset."""
    codes = {
        "accepted": ("I", "OR", "Origin Scan"),
        "in_transit": ("I", "AR", "Arrived at Facility"),
        "out_for_delivery": ("I", "OT", "Out For Delivery Today"),
        "delivered": ("D", "FS", "Delivered"),
        "weather": ("X", "WX", "Severe weather conditions have delayed delivery."),
    }
    kind, code, description = codes[stage]
    local = now.astimezone(ZoneInfo("America/Chicago"))
    offset_hours = local.utcoffset().total_seconds() / 3600  # type: ignore[union-attr]
    return {
        "trackingNumber": parcel.tracking_number,
        "localActivityDate": local.strftime("%Y%m%d"),
        "localActivityTime": local.strftime("%H%M%S"),
        "gmtActivityDate": now.strftime("%Y%m%d"),
        "gmtActivityTime": now.strftime("%H%M%S"),
        "gmtOffset": f"{offset_hours:+06.2f}",
        "activityLocation": {"city": "CHICAGO", "stateProvince": "IL", "postalCode": "60601", "country": "US"},
        "activityStatus": {"type": kind, "code": code, "description": description},
        "scheduledDeliveryDate": estimate.strftime("%Y%m%d"),
    }


def fedex_push(parcel: Parcel, stage: str, now: datetime, estimate: datetime) -> dict[str, object]:
    """A FedEx tracking webhook (carriers.md §5): ISO times with offsets."""
    codes = {"accepted": "PU", "in_transit": "IT", "out_for_delivery": "OD", "delivered": "DL", "weather": "DE"}
    local = now.astimezone(ZoneInfo("America/Chicago")).isoformat(timespec="seconds")
    scan = {
        "date": local,
        "eventType": codes[stage],
        "eventDescription": stage.replace("_", " ").title(),
        "scanLocation": {"city": "CHICAGO", "stateOrProvinceCode": "IL", "postalCode": "60601", "countryCode": "US"},
    }
    if stage == "weather":
        scan["exceptionDescription"] = "Weather delay"
    result = {
        "trackingNumberInfo": {"trackingNumber": parcel.tracking_number, "carrierCode": "FDXE"},
        "dateAndTimes": [{"type": "ESTIMATED_DELIVERY", "dateTime": estimate.isoformat(timespec="seconds")}],
        "scanEvents": [scan],
    }
    return {
        "transactionId": str(uuid.uuid4()),
        "output": {"completeTrackResults": [{"trackingNumber": parcel.tracking_number, "trackResults": [result]}]},
    }


BUILDERS = {"ups": ups_alert, "fedex": fedex_push}


class Feed:
    def __init__(
        self,
        settings: ServiceSettings,
        client: httpx.AsyncClient,
        adapter_url: str,
        secrets: dict[str, str],
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.client = client
        self.adapter_url = adapter_url
        self.rng = random.Random(seed)
        self.parcels: list[Parcel] = []

    async def start(self, now: datetime) -> str:
        events, story = new_order(self.rng, now, story=True)
        await send(self.settings, events)
        self.parcels.append(story)
        return story.order_id

    async def tick(self, now: datetime) -> None:
        events, parcel = new_order(self.rng, now)
        await send(self.settings, events)
        self.parcels.append(parcel)
        for parcel in list(self.parcels):
            if self.rng.random() < 0.5:
                await self.advance(parcel, now)

    async def advance(self, parcel: Parcel, now: datetime) -> None:
        parcel.stage += 1
        stage = "weather" if parcel.weather and parcel.stage == 1 else STAGES[min(parcel.stage, 3)]
        estimate = parcel.promised_by + (timedelta(days=3) if parcel.slips else timedelta(hours=-4))
        body = json.dumps(BUILDERS[parcel.carrier](parcel, stage, now, estimate)).encode()
        await self.post(parcel.carrier, body, now)
        if stage == "delivered":
            self.parcels.remove(parcel)

    async def post(self, source: str, body: bytes, now: datetime) -> None:
        secret = self.secrets[source]
        headers, query = all_sources()[source].sign_request(body, secret, now)
        response = await self.client.post(
            f"{self.adapter_url}/webhooks/{source}",
            content=body,
            params=query,
            headers={**headers, "content-type": "application/json"},
        )
        if response.status_code >= 300:
            log.warning(
                "demo webhook refused",
                extra={"source": source, "status": response.status_code, "body": response.text[:300]},
            )


async def main() -> None:
    configure_logging()
    interval = float(os.environ.get("DEMO_INTERVAL_SECONDS", "10"))
    async with httpx.AsyncClient(timeout=10) as client:
        secrets = {
            source: os.environ[f"CARRIER_ADAPTER_WEBHOOK_SECRETS__{source.upper()}"].split(",")[0]
            for source in BUILDERS
        }
        feed = Feed(ServiceSettings(), client, os.environ.get("CARRIER_ADAPTER_URL", "http://127.0.0.1:8081"), secrets)
        story = await feed.start(datetime.now(UTC))
        log.info("demo story sent", extra={"order_id": story})
        while True:
            await asyncio.sleep(interval)
            await feed.tick(datetime.now(UTC))


if __name__ == "__main__":
    asyncio.run(main())
