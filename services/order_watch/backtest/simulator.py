"""Seeded scenario simulator: realistic order, label and tracking envelopes with known ground truth.

`simulate(SimulationConfig(orders=N, seed=S, days=D))` returns a `Stream`: envelopes of
`orders.v1`, `shipments.v1` and `tracking.v1` sorted by event time, and an `OrderTruth` per
order saying what was injected and when (if ever) it was delivered. The same config always
gives the same stream, event ids included. Pure: no I/O, no clock reads.

The shop's promise is the paid service's transit on the lane from a planned hand-over two hours
after the order (so healthy orders keep it); failures then bend the label or the journey.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.common.contracts import Envelope, new_envelope
from services.common.contracts.orders import Customer, Money, OrderLine, OrderPlaced, OrderPlacedEvent
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated, TrackingUpdatedEvent
from services.common.vocab import CustomerTier, ServiceLevel
from services.order_watch.backtest.journeys import Journey, Leg, ScanPlan, journey
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.truth import Failure, OrderTruth, Stream
from services.order_watch.backtest.world import CATALOG_LANE, Destination, Lane, World
from services.order_watch.promise import CarrierService, Catalog, load_catalog, pickup_date
from services.order_watch.promise.calendar import local_instant

PROMISE_TIME = dt.time(20, 0)
PLANNED_HANDOVER_DELAY = dt.timedelta(hours=2)
WAREHOUSE_OPENS, LAST_LABEL = dt.time(8, 0), dt.time(16, 30)

DEFAULT_FAILURE_RATES: Mapping[Failure, float] = {
    Failure.DOWNGRADE: 0.03,
    Failure.WAREHOUSE_DELAY: 0.04,
    Failure.NEVER_SCANNED: 0.02,
    Failure.STALL: 0.03,
    Failure.EXCEPTION: 0.04,
    Failure.ESTIMATE_SLIP: 0.04,
    Failure.LOST: 0.01,
    Failure.RETURN: 0.01,
}
PAID_MIX: Mapping[ServiceLevel, float] = {
    ServiceLevel.NEXT_DAY: 0.15,
    ServiceLevel.TWO_DAY: 0.25,
    ServiceLevel.THREE_DAY: 0.08,
    ServiceLevel.GROUND: 0.47,
    ServiceLevel.ECONOMY: 0.05,
}
CARRIER_MIX: Mapping[str, float] = {"ups": 0.35, "fedex": 0.3, "usps": 0.25, "dhl": 0.1}
TIER_MIX: Mapping[CustomerTier, float] = {
    CustomerTier.STANDARD: 0.85,
    CustomerTier.PRIORITY: 0.12,
    CustomerTier.VIP: 0.03,
}


DESTINATIONS: tuple[Destination, ...] = (
    Destination("New York", "NY", "10001", "America/New_York", 1, 0.16),
    Destination("Atlanta", "GA", "30303", "America/New_York", 0, 0.10),
    Destination("Miami", "FL", "33101", "America/New_York", 1, 0.06),
    Destination("Chicago", "IL", "60601", "America/Chicago", 0, 0.12),
    Destination("Dallas", "TX", "75201", "America/Chicago", 0, 0.10),
    Destination("Denver", "CO", "80202", "America/Denver", 0, 0.07),
    Destination("Phoenix", "AZ", "85004", "America/Phoenix", 1, 0.07),
    Destination("Los Angeles", "CA", "90012", "America/Los_Angeles", 1, 0.15),
    Destination("Seattle", "WA", "98101", "America/Los_Angeles", 1, 0.12),
    Destination("Anchorage", "AK", "99501", "America/Anchorage", 2, 0.03),
    Destination("Honolulu", "HI", "96813", "Pacific/Honolulu", 2, 0.02),
)


@dataclass(frozen=True)
class SimulationConfig:
    """How many orders over how many days from `start`, and how often each failure is injected."""

    orders: int = 1_000
    seed: int = 7
    days: int = 28
    start: dt.date = dt.date(2026, 11, 2)
    origin_tz: str = "America/Chicago"
    failure_rates: Mapping[Failure, float] = field(default_factory=lambda: dict(DEFAULT_FAILURE_RATES))
    world: World | None = None
    """How parcels really travel; None: the catalog's own world."""

    def __post_init__(self) -> None:
        # A world's own origin and failure rates replace the defaults.
        if self.world is not None and self.world.origin_tz:
            object.__setattr__(self, "origin_tz", self.world.origin_tz)
        if self.world is not None and self.world.failure_rates is not None:
            object.__setattr__(self, "failure_rates", dict(self.world.failure_rates))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "simulation",
            "world": self.world.name if self.world else "catalog",
            "orders": self.orders,
            "seed": self.seed,
            "days": self.days,
            "start": self.start.isoformat(),
            "origin_tz": self.origin_tz,
            "failure_rates": {failure.value: rate for failure, rate in self.failure_rates.items()},
        }


@dataclass(frozen=True)
class _Draft:
    order_id: str
    placed_at: dt.datetime
    destination: Destination
    paid: CarrierService
    label_service: CarrierService
    failure: Failure


def simulate(config: SimulationConfig, catalog: Catalog | None = None) -> Stream:
    """A reproducible stream of `config.orders` orders placed over `config.days` days."""
    events: list[tuple[dt.datetime, int, Envelope[Any]]] = []
    truths: dict[str, OrderTruth] = {}
    for order_events, truth in simulated_orders(config, catalog):
        events.extend((event.occurred_at, len(events), event) for event in order_events)
        truths[truth.order_id] = truth
    events.sort(key=lambda item: (item[0], item[1]))
    return Stream([event for _, _, event in events], truths, config.origin_tz, config.describe())


def simulate_into(spool: Spool, config: SimulationConfig, catalog: Catalog | None = None) -> Stream:
    """`simulate`, its events and truths written to `spool` (closed here) as they are made instead of held."""
    for order_events, truth in simulated_orders(config, catalog):
        spool.extend(order_events)
        spool.add_truth(truth)
    spool.close()
    return Stream(spool, None, config.origin_tz, config.describe())


def simulated_orders(
    config: SimulationConfig, catalog: Catalog | None = None
) -> Iterator[tuple[list[Envelope[Any]], OrderTruth]]:
    """Each order's envelopes and truth, in the order `simulate` emits them (its ties broken by it)."""
    catalog = catalog or load_catalog()
    rng = random.Random(config.seed)
    for index in range(config.orders):
        yield simulate_order(rng, config, catalog, index)


def simulate_order(
    rng: random.Random, config: SimulationConfig, catalog: Catalog, index: int, placed_at: dt.datetime | None = None
) -> tuple[list[Envelope[Any]], OrderTruth]:
    """One order's envelopes (order, label, scans) and truth; placed at a random
    moment of the config's period, or at `placed_at` (the live demo's orders are placed now)."""
    draft = _draft(rng, config, catalog, index, placed_at)
    promise_lane, travel_lane = _lane(config.world, draft, draft.paid), _lane(config.world, draft, draft.label_service)
    actual_days = _pick(rng, travel_lane.transit_days) if travel_lane.transit_days else None
    leg = Leg(
        draft.label_service, config.origin_tz, draft.destination.time_zone, True, draft.destination.lane_days,
        actual_days, travel_lane.hub_scans, travel_lane.estimates,
    )  # fmt: skip
    promised_by = _promise(draft, leg, promise_lane)
    label_at = _label_time(rng, draft, config.origin_tz)
    trip = journey(rng, leg, label_at, draft.failure)
    events = _envelopes(rng, draft, leg, promised_by, label_at, trip)
    truth = OrderTruth(
        order_id=draft.order_id,
        promised_by=promised_by,
        delivered_at=trip.delivered_at,
        failure=draft.failure,
        origin_tz=config.origin_tz,
        destination_tz=draft.destination.time_zone,
        residential=True,
        label_at=label_at,
        placed_at=draft.placed_at,
    )
    return events, truth


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _draft(
    rng: random.Random, config: SimulationConfig, catalog: Catalog, index: int, placed_at: dt.datetime | None
) -> _Draft:
    world = config.world
    failure = _pick_failure(rng, config.failure_rates)
    mix = dict((world and world.paid_mix) or PAID_MIX)
    if failure is Failure.DOWNGRADE:
        mix = {level: weight for level, weight in mix.items() if ServiceLevel.GROUND.is_slower_than(level)}
    paid_level: ServiceLevel = _pick(rng, mix)
    carrier_mix = (world and world.carriers) or CARRIER_MIX
    carriers = {c: w for c, w in carrier_mix.items() if _services_at(catalog, world, c, paid_level)}
    carrier: str = _pick(rng, carriers)
    paid = rng.choice(_services_at(catalog, world, carrier, paid_level))
    label_service = _downgraded(catalog, paid) if failure is Failure.DOWNGRADE else paid
    if placed_at is None:
        start = local_instant(config.start, dt.time(0), ZoneInfo(config.origin_tz))
        placed_at = start + dt.timedelta(seconds=rng.randint(0, config.days * 86_400 - 1))
    destinations = (world and world.destinations) or DESTINATIONS
    destination = rng.choices(destinations, weights=[d.weight for d in destinations])[0]
    paid, label_service = (_localized(catalog, service, destination) for service in (paid, label_service))
    return _Draft(f"SIM-{config.seed}-{index:06d}", placed_at, destination, paid, label_service, failure)


def _services_at(catalog: Catalog, world: World | None, carrier: str, level: ServiceLevel) -> list[CarrierService]:
    """The carrier's services at `level`: the catalog's, or those the world gives a carrier it does not know."""
    known = [service for service in catalog.services(carrier) if service.level == level]
    codes = world.services_of(carrier, level) if world else []
    return known or [replace(catalog.default_service(carrier, level), code=code, name=code) for code in codes]


def _localized(catalog: Catalog, service: CarrierService, destination: Destination) -> CarrierService:
    """A service of a carrier the catalog does not know works on the destination's holidays."""
    if catalog.service(service.carrier, service.code) is not None:
        return service
    local = catalog.default_service(service.carrier, service.level, destination.country, destination.region)
    return replace(local, code=service.code, name=service.name)


def _lane(world: World | None, draft: _Draft, service: CarrierService) -> Lane:
    if world is None:
        return CATALOG_LANE
    facts = {"carrier": service.carrier, "code": service.code, "level": service.level.value,
             "region": draft.destination.region, "country": draft.destination.country}  # fmt: skip
    return world.lane(facts)


def _pick_failure(rng: random.Random, rates: Mapping[Failure, float]) -> Failure:
    roll = rng.random()
    for failure, rate in rates.items():
        if roll < rate:
            return failure
        roll -= rate
    return Failure.NONE


def _downgraded(catalog: Catalog, paid: CarrierService) -> CarrierService:
    """The carrier's cheapest service slower than what was paid (ground, or economy for DHL)."""
    slower = [s for s in catalog.services(paid.carrier) if s.level.is_slower_than(paid.level)]
    return min(slower, key=lambda s: (s.cost_rank, s.code))


def _promise(draft: _Draft, leg: Leg, lane: Lane) -> dt.datetime:
    """What the shop promised: the paid service on this lane from a hand-over two hours out (the
    catalog's transit, or what the world's shop promises there)."""
    paid_leg = Leg(draft.paid, leg.origin_tz, leg.destination_tz, leg.residential, leg.lane_days)
    shipped_on = pickup_date(draft.paid, draft.placed_at + PLANNED_HANDOVER_DELAY, leg.origin_tz)
    standard = paid_leg.transit_days()
    days = lane.promise_days if lane.promise_days is not None else standard + lane.promise_offset_days
    promised_on = paid_leg.delivery_day(shipped_on, max(0, days) - standard)
    return local_instant(promised_on, PROMISE_TIME, ZoneInfo(leg.destination_tz))


def _label_time(rng: random.Random, draft: _Draft, origin_tz: str) -> dt.datetime:
    """The warehouse prints the label before the planned pick-up's cut-off (or days later when delayed)."""
    zone = ZoneInfo(origin_tz)
    planned = draft.placed_at + PLANNED_HANDOVER_DELAY
    ship_day = pickup_date(draft.paid, planned, origin_tz)
    if draft.failure is Failure.WAREHOUSE_DELAY:
        for _ in range(rng.randint(1, 3)):
            ship_day = draft.paid.calendar.next_pickup_day(ship_day)
    opens = max(local_instant(ship_day, WAREHOUSE_OPENS, zone), draft.placed_at + dt.timedelta(minutes=10))
    latest = local_instant(ship_day, LAST_LABEL, zone)
    if draft.failure is not Failure.WAREHOUSE_DELAY:
        latest = min(latest, max(opens, planned))
    span = max(0, int((latest - opens).total_seconds()))
    return opens + dt.timedelta(seconds=rng.randint(0, span))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "ups":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    digits = {"fedex": 12, "usps": 22, "dhl": 10}.get(carrier, 12)
    prefix = "9400" if carrier == "usps" else ""
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits - len(prefix)))


def _envelopes(
    rng: random.Random, draft: _Draft, leg: Leg, promised_by: dt.datetime, label_at: dt.datetime, trip: Journey
) -> list[Envelope[Any]]:
    tracking_number = _tracking_number(rng, leg.service.carrier)
    lines = [OrderLine(sku=f"SKU-{rng.randint(100, 999)}", quantity=rng.randint(1, 3))]
    events: list[Envelope[Any]] = [
        _order_event(rng, draft, promised_by, lines),
        _label_event(rng, draft, label_at, tracking_number, lines),
    ]
    events.extend(scan_events(rng, draft.label_service, tracking_number, trip.scans))
    return events


def _order_event(
    rng: random.Random, draft: _Draft, promised_by: dt.datetime, lines: list[OrderLine]
) -> OrderPlacedEvent:
    payload = OrderPlaced(
        order_id=draft.order_id,
        customer=Customer(customer_id=f"CUST-{rng.randint(1, 5000):05d}", tier=_pick(rng, TIER_MIX)),
        order_value=Money(amount=Decimal(rng.randint(1500, 250_000)) / 100, currency="USD"),
        placed_at=draft.placed_at,
        destination=draft.destination.address(),
        paid_service_level=draft.paid.level,
        promised_by=promised_by,
        lines=lines,
    )
    return new_envelope(
        OrderPlacedEvent,
        payload,
        occurred_at=draft.placed_at,
        produced_at=draft.placed_at,
        producer="simulator-oms",
        event_id=_uuid(rng),
    )


def _label_event(
    rng: random.Random, draft: _Draft, label_at: dt.datetime, tracking_number: str, lines: list[OrderLine]
) -> ShipmentLabelCreatedEvent:
    payload = ShipmentLabelCreated(
        order_id=draft.order_id,
        shipment_id=f"{draft.order_id}-S1",
        carrier=draft.label_service.carrier,
        tracking_number=tracking_number,
        label_service_code=draft.label_service.code,
        label_created_at=label_at,
        lines=lines,
    )
    return new_envelope(
        ShipmentLabelCreatedEvent,
        payload,
        occurred_at=label_at,
        produced_at=label_at,
        producer="simulator-wms",
        event_id=_uuid(rng),
    )


def scan_events(
    rng: random.Random, service: CarrierService, tracking_number: str, scans: list[ScanPlan]
) -> list[TrackingUpdatedEvent]:
    """The carrier's tracking events for a parcel's planned scans, as the carrier adapter publishes them."""
    return [_scan_event(rng, service, tracking_number, scan) for scan in scans]


def _scan_event(
    rng: random.Random, service: CarrierService, tracking_number: str, scan: ScanPlan
) -> TrackingUpdatedEvent:
    zone = ZoneInfo(scan.zone)
    local = scan.at.astimezone(zone)
    estimate = EstimatedDelivery(date=scan.estimate, source_field="simulated") if scan.estimate else None
    payload = TrackingUpdated(
        source=service.carrier,
        carrier=service.carrier,
        tracking_number=tracking_number,
        status=scan.status,
        exception_reason=scan.reason,
        description=scan.description,
        event_time=scan.at.astimezone(dt.UTC),
        event_local_time=local.replace(tzinfo=None),
        utc_offset_minutes=int(local.utcoffset().total_seconds() // 60),  # type: ignore[union-attr]
        time_zone=scan.zone,
        location=Location(country="US"),
        estimated_delivery=estimate,
        service_level=scan.service_level,
        raw_service=service.name if scan.service_level else None,
        source_event_id=f"{tracking_number}-{int(scan.at.timestamp())}-{scan.status.value}",
    )
    return new_envelope(
        TrackingUpdatedEvent,
        payload,
        occurred_at=scan.at,
        produced_at=scan.at + dt.timedelta(seconds=rng.randint(5, 300)),
        producer="simulator-carrier-adapter",
        event_id=_uuid(rng),
    )
