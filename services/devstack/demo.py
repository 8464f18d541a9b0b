"""The live demo feed of `make run`: the PRODUCT.md story, then the backtest simulator played in real time.

At start it sends the story (paid next-day, labelled UPS Ground just now: an alert and a reship
task within seconds) and a backlog: the simulator's orders placed over the last few days, with
every event already past sent at once, so the boards open on a real mix of parcels delivered, on
their way, stalled, lost or late. Then, every `DEMO_INTERVAL_SECONDS`, one new order is placed and
every planned event whose time has come is sent. Nothing is sent before its event time: a parcel is
scanned and delivered when the carrier calendars say, never early because a demo is in a hurry.

Orders and labels go to Kafka as the order system and warehouse would send them; scans go through
the carrier adapter's real, signed webhook endpoints in each carrier's own dialect (`dialects`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import os
import random
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.carrier_adapter.carriers import all_sources
from services.common.contracts.envelope import Envelope, new_envelope
from services.common.contracts.orders import Customer, Money, OrderPlaced, OrderPlacedEvent
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.kafka import make_producer
from services.common.logs import configure_logging
from services.common.publish import publish
from services.common.settings import ServiceSettings
from services.common.vocab import CustomerTier, ServiceLevel
from services.devstack.dialects import DIALECTS, webhook_for
from services.order_watch.backtest.journeys import Leg, journey
from services.order_watch.backtest.simulator import (
    DESTINATIONS,
    SimulationConfig,
    scan_events,
    simulate,
    simulate_order,
)
from services.order_watch.backtest.truth import Failure
from services.order_watch.promise import Catalog, load_catalog

log = logging.getLogger("demo")
PRODUCER = "demo-feed"
BACKLOG_DAYS = 4
BACKLOG_ORDERS = 120
STORY_CARRIER, STORY_LABEL_CODE = "ups", "03"  # paid next-day, labelled UPS Ground


def end_of_day(moment: datetime, days: int, zone: str) -> datetime:
    local = (moment + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return local.replace(hour=20, minute=0, second=0, microsecond=0)


def story_events(rng: random.Random, now: datetime, catalog: Catalog, origin_tz: str) -> list[Envelope[Any]]:
    """PRODUCT.md story 1: paid next-day, labelled UPS Ground now, then scanned as ground goes."""
    new_york = next(destination for destination in DESTINATIONS if destination.city == "New York")
    order_id = f"DEMO-STORY-{uuid.uuid4().hex[:8].upper()}"
    tracking_number = f"1Z{uuid.uuid4().hex[:16].upper()}"
    placed = OrderPlaced(
        order_id=order_id,
        customer=Customer(customer_id=f"cust-{rng.randint(1, 400)}", name="Avery Quinn", tier=CustomerTier.PRIORITY),
        order_value=Money(amount=Decimal("1899.00"), currency="USD"),
        placed_at=now - timedelta(hours=2),
        destination=new_york.address(),
        paid_service_level=ServiceLevel.NEXT_DAY,
        promised_by=end_of_day(now, 2, new_york.time_zone),
    )
    label = ShipmentLabelCreated(
        order_id=order_id,
        shipment_id=f"{order_id}-S1",
        carrier=STORY_CARRIER,
        tracking_number=tracking_number,
        label_service_code=STORY_LABEL_CODE,
        label_created_at=now,
    )
    ground = catalog.service(STORY_CARRIER, STORY_LABEL_CODE)
    if ground is None:
        raise LookupError(f"the carrier catalog has no {STORY_CARRIER} {STORY_LABEL_CODE}")
    trip = journey(rng, Leg(ground, origin_tz, new_york.time_zone, True, new_york.lane_days), now, Failure.NONE)
    return [
        new_envelope(OrderPlacedEvent, placed, occurred_at=placed.placed_at, produced_at=now, producer=PRODUCER),
        new_envelope(ShipmentLabelCreatedEvent, label, occurred_at=now, produced_at=now, producer=PRODUCER),
        *scan_events(rng, ground, tracking_number, trip.scans),
    ]


class Feed:
    """The story, the backlog and the live orders, each event sent once its time has come.

    Use it as `async with Feed(...) as feed`: one Kafka producer serves the feed's whole life.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        client: httpx.AsyncClient,
        adapter_url: str,
        secrets: dict[str, str],
        seed: int | None = None,
        origin_tz: str = "America/Chicago",
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.client = client
        self.adapter_url = adapter_url
        self.rng = random.Random(seed)
        self.catalog = catalog or load_catalog()
        # A seed of its own per run: simulated order ids stay unique across runs on one database.
        self.config = SimulationConfig(seed=self.rng.getrandbits(32), origin_tz=origin_tz)
        self.refused = 0
        self._planned: list[tuple[datetime, int, Envelope[Any]]] = []
        self._sequence = itertools.count()
        self._order_index = itertools.count(BACKLOG_ORDERS)
        self._producer = make_producer(settings)

    async def __aenter__(self) -> Feed:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def start(self, now: datetime, backlog_orders: int = BACKLOG_ORDERS) -> str:
        """Send the story and the backlog's past; returns the story's order id."""
        story = story_events(self.rng, now, self.catalog, self.config.origin_tz)
        self._plan(story)
        await self.send_due(now)  # the story first: its alert must not wait behind the backlog
        first_day = (now - timedelta(days=BACKLOG_DAYS)).astimezone(ZoneInfo(self.config.origin_tz)).date()
        backlog = replace(self.config, orders=backlog_orders, days=BACKLOG_DAYS, start=first_day)
        self._plan(simulate(backlog, self.catalog).events)  # its past goes now, its future in time
        await self.send_due(now)
        return story[0].payload.order_id

    async def tick(self, now: datetime) -> int:
        """Place one new order now, then send every planned event whose time has come."""
        events, _ = simulate_order(self.rng, self.config, self.catalog, next(self._order_index), placed_at=now)
        self._plan(events)
        return await self.send_due(now)

    async def send_due(self, now: datetime) -> int:
        """Orders and labels to Kafka, then scans to the webhooks: everything planned up to `now`."""
        due = []
        while self._planned and self._planned[0][0] <= now:
            due.append(heapq.heappop(self._planned)[2])
        published = [event for event in due if event.event_type != "tracking.updated"]
        if published:
            await publish(self._producer, self.settings, published)
        for event in due:
            if event.event_type == "tracking.updated":
                await self.post(*webhook_for(event.payload))
        return len(due)

    def _plan(self, events: Iterable[Envelope[Any]]) -> None:
        for event in events:
            heapq.heappush(self._planned, (event.occurred_at.astimezone(UTC), next(self._sequence), event))

    async def post(self, source: str, document: dict[str, Any]) -> None:
        """Sign and post one webhook as the source would (signed now, whatever the scan's time)."""
        body = json.dumps(document).encode()
        headers, query = all_sources()[source].sign_request(body, self.secrets[source], datetime.now(UTC))
        response = await self.client.post(
            f"{self.adapter_url}/webhooks/{source}",
            content=body,
            params=query,
            headers={**headers, "content-type": "application/json"},
        )
        if response.status_code >= 300:
            self.refused += 1
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
            for source in ("generic", *DIALECTS)
        }
        feed = Feed(
            ServiceSettings(),
            client,
            os.environ.get("CARRIER_ADAPTER_URL", "http://127.0.0.1:8081"),
            secrets,
            origin_tz=os.environ.get("ORDER_WATCH_ORIGIN_TIME_ZONE", "America/Chicago"),
        )
        async with feed:
            story = await feed.start(datetime.now(UTC))
            log.info("demo story and backlog sent", extra={"order_id": story})
            while True:
                await asyncio.sleep(interval)
                await feed.tick(datetime.now(UTC))


if __name__ == "__main__":
    asyncio.run(main())
