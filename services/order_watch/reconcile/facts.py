"""Facts derived from an order snapshot that several rules share.

Everything here is ordered by event time, never arrival, and is insensitive to duplicates
and to the order scans and estimates arrive in: the same facts give the same answers.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache, wraps
from typing import Any, TypeVar

from services.common.clock import wall_clock, wall_day
from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.learning.model import AT_DOOR, EN_ROUTE, Learned, lane, paid_keys, shipment_keys
from services.order_watch.learning.policy import DEFAULT_POLICY, NOT_SHIPPED_IN_TIME, RulePolicy
from services.order_watch.promise import (
    CarrierService,
    Catalog,
    RecoveryOption,
    cutoff_instant,
    expected_delivery,
    last_chance,
    latest_handover,
    pickup_date,
    project_delivery,
    recovery_options,
)
from services.order_watch.promise.calendar import CarrierCalendar, local_date
from services.order_watch.reconcile.findings import fact
from services.order_watch.reconcile.state import EstimateState, LineState, OrderState, ScanState, ShipmentState

# Same event time: the further-along status wins (a simultaneous "out for delivery" never beats "delivered").
STATUS_PROGRESS = {
    TrackingStatus.UNKNOWN: 0,
    TrackingStatus.PRE_TRANSIT: 1,
    TrackingStatus.CANCELLED: 2,
    TrackingStatus.ACCEPTED: 3,
    TrackingStatus.IN_TRANSIT: 4,
    TrackingStatus.DELAYED: 5,
    TrackingStatus.EXCEPTION: 6,
    TrackingStatus.DELIVERY_ATTEMPTED: 7,
    TrackingStatus.OUT_FOR_DELIVERY: 8,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 9,
    TrackingStatus.RETURN_TO_SENDER: 10,
    TrackingStatus.DELIVERED: 11,
}
CARRIER_ESTIMATE_SOURCES = frozenset({EstimateSource.CARRIER, EstimateSource.AGGREGATOR})
GONE_REASONS = frozenset({ExceptionReason.LOST, ExceptionReason.RETURN_TO_SENDER})
# Statuses that are exceptions whatever their reason (a lost or returning parcel is gone, not one).
EXCEPTION_STATUSES = frozenset({TrackingStatus.EXCEPTION, TrackingStatus.DELAYED, TrackingStatus.DELIVERY_ATTEMPTED})
# Exceptions a person usually must act on (fix the address, replace the goods, call the customer).
NEEDS_ACTION = frozenset({ExceptionReason.ADDRESS, ExceptionReason.DAMAGED, ExceptionReason.REFUSED})
# Where a parcel stands when an exception that happens at the door happens there.
AT_THE_DOOR = frozenset({TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERY_ATTEMPTED})
# Labels come from the warehouse over the broker, scans from carriers' webhooks, and a backlog
# delivers hours of either at once: after the latest news of a parcel reached us, give the rest
# of its news this long to reach us too before calling an absence (no scan, silence) a fact.
DATA_ARRIVAL_GRACE = dt.timedelta(minutes=10)


_Snapshot = TypeVar("_Snapshot", ScanState, ShipmentState, OrderState)
_Fact = TypeVar("_Fact")
_MISSING = object()


def per_snapshot(derive: Callable[..., _Fact]) -> Callable[..., _Fact]:
    """Derive a fact once per (immutable) snapshot and arguments: the nine rules, and
    `next_check_at` after them, ask the same questions of it.

    The results live on the snapshot itself, so they are dropped with it — nothing outlives an
    evaluation and nothing is shared between snapshots. Extra arguments are part of the key, so
    they must hash cheaply (the catalog hashes by identity).
    """

    name = f"_fact_{derive.__module__}.{derive.__qualname__}"

    if len(inspect.signature(derive).parameters) == 1:
        # Most facts read the snapshot alone: one probe of its dictionary, and no tuple of arguments.
        @wraps(derive)
        def cached_alone(snapshot: _Snapshot) -> _Fact:
            facts = snapshot.__dict__
            value = facts.get(name, _MISSING)
            if value is _MISSING:
                value = facts[name] = derive(snapshot)
            return value

        return cached_alone

    @wraps(derive)
    def cached(snapshot: _Snapshot, *args: Any) -> _Fact:
        # A fact with arguments keeps a dictionary of its own on the snapshot, keyed by them.
        facts = snapshot.__dict__.get(name) or snapshot.__dict__.setdefault(name, {})
        value = facts.get(args, _MISSING)
        if value is _MISSING:
            value = facts[args] = derive(snapshot, *args)
        return value

    return cached


def per_parcel(derive: Callable[..., _Fact]) -> Callable[..., _Fact]:
    """Derive a fact of one of an order's shipments once per (immutable) order snapshot, shipment
    and arguments: like `per_snapshot`, for facts that read the order as well as the shipment.

    The results live on the order, not the shipment: a shipment may be shared by two snapshots of
    an order (`dataclasses.replace(order, promised_by=...)` keeps it) whose facts differ. They are
    keyed by the shipment's identity, and each entry holds the shipment itself, so no other object
    can take its id while the entry exists (a shipment need not be one of the order's own: the
    truth view asks about a copy without estimates).
    """

    name = f"_fact_{derive.__module__}.{derive.__qualname__}"

    @wraps(derive)
    def cached(order: OrderState, shipment: ShipmentState, *args: Any) -> _Fact:
        facts = order.__dict__.get(name) or order.__dict__.setdefault(name, {})
        key = (id(shipment), *args)
        hit = facts.get(key)
        if hit is None:
            hit = facts[key] = (shipment, derive(order, shipment, *args))
        return hit[1]

    return cached


def _scan_order(scan: ScanState) -> tuple[Any, ...]:
    received = scan.received_at.timestamp() if scan.received_at else float("-inf")
    return (scan.event_time.timestamp(), STATUS_PROGRESS[scan.status], scan.event_id, received)


def _unique_scan_order(scan: ScanState) -> tuple[Any, ...]:
    return (scan.event_time.timestamp(), STATUS_PROGRESS[scan.status], scan.event_id)


def _full_order(scan: ScanState) -> tuple[Any, ...]:
    return (*_scan_order(scan), repr(scan))


@per_snapshot
def ordered_scans(shipment: ShipmentState) -> tuple[ScanState, ...]:
    """Scans without duplicates (one per event id, chosen deterministically), oldest event first."""
    scans = shipment.scans
    if len({scan.event_id for scan in scans}) == len(scans):
        # The usual case, no duplicates: event ids are unique, so they settle every tie of
        # `_scan_order` and its last part (received) never decides — one sort on the rest.
        return tuple(sorted(scans, key=_unique_scan_order))
    by_id: dict[str, ScanState] = {}
    for scan in sorted(scans, key=_full_order):
        by_id.setdefault(scan.event_id, scan)
    return tuple(sorted(by_id.values(), key=_scan_order))


@per_snapshot
def delivered_scan(shipment: ShipmentState) -> ScanState | None:
    """The first delivery scan by event time, if any."""
    return next((scan for scan in ordered_scans(shipment) if scan.status is TrackingStatus.DELIVERED), None)


@per_snapshot
def current_scan(shipment: ShipmentState) -> ScanState | None:
    """The scan that says where the parcel is now.

    The latest by event time — except that "delivered" is sticky: only a later return to sender
    overrides it, so stray late scans (a delayed "out for delivery") cannot reopen a delivery.
    """
    scans = ordered_scans(shipment)
    delivered = delivered_scan(shipment)
    if delivered is None:
        return scans[-1] if scans else None
    # `scans` is in `_scan_order` with one scan per event id: "later than the delivery in that
    # order" is "after it in the tuple".
    current, passed = delivered, False
    for scan in scans:
        if scan is delivered:
            passed = True
        elif passed and scan.status is TrackingStatus.RETURN_TO_SENDER:
            current = scan
    return current


@per_snapshot
def first_carrier_scan(shipment: ShipmentState) -> ScanState | None:
    """The first scan showing a carrier physically has the parcel (acceptance)."""
    return next((scan for scan in ordered_scans(shipment) if scan.status.is_carrier_scan), None)


def is_delivered(shipment: ShipmentState) -> bool:
    current = current_scan(shipment)
    return current is not None and current.status is TrackingStatus.DELIVERED


def is_finished(shipment: ShipmentState) -> bool:
    """Delivered, returned or cancelled: nothing more will happen in transit."""
    current = current_scan(shipment)
    return current is not None and current.status.is_final


def is_gone(shipment: ShipmentState) -> bool:
    """Going back to the sender, or reported lost: it will not reach the customer."""
    last = current_scan(shipment)
    return last is not None and (
        last.status is TrackingStatus.RETURN_TO_SENDER or last.exception_reason in GONE_REASONS
    )


def exception_reason(scan: ScanState) -> ExceptionReason | None:
    """Why `scan` is an exception, delay or failed attempt; None when it is not one (progress, or a
    parcel lost or going back, which is gone rather than held up)."""
    if scan.exception_reason in GONE_REASONS or scan.status is TrackingStatus.RETURN_TO_SENDER:
        return None
    if scan.exception_reason is not None:
        return scan.exception_reason
    if scan.status is TrackingStatus.DELIVERY_ATTEMPTED:
        return ExceptionReason.DELIVERY_ATTEMPTED
    if scan.status is TrackingStatus.DELAYED:
        return ExceptionReason.DELAYED
    return ExceptionReason.OTHER if scan.status in EXCEPTION_STATUSES else None


def exception_stage(shipment: ShipmentState, exception: ScanState) -> str:
    """`AT_DOOR` when the parcel was out for delivery (or just attempted) when `exception` happened,
    by its latest earlier scan that was not itself an exception; `EN_ROUTE` otherwise. An address
    problem at the door and one at a hub end differently: the hub's is often sorted out on the way."""
    stage = EN_ROUTE
    for scan in ordered_scans(shipment):
        if scan is exception:
            break
        if scan.status not in EXCEPTION_STATUSES:
            stage = AT_DOOR if scan.status in AT_THE_DOOR else EN_ROUTE
    return stage


@per_snapshot
def data_settles_at(shipment: ShipmentState) -> dt.datetime | None:
    """When what we know of the parcel is settled enough to read an absence in it: the grace
    after the latest of its label and scans reached us (None: no receipt times, as in tests)."""
    received = [scan.received_at for scan in shipment.scans if scan.received_at is not None]
    if shipment.label_received_at is not None:
        received.append(shipment.label_received_at)
    return max(received) + DATA_ARRIVAL_GRACE if received else None


def order_settles_at(order: OrderState) -> dt.datetime | None:
    """When the absence of any label can be read: the grace after the order's latest news
    reached us (None: no receipt time, as in tests)."""
    return order.received_at + DATA_ARRIVAL_GRACE if order.received_at is not None else None


@per_snapshot
def latest_carrier_estimate(shipment: ShipmentState) -> EstimateState | None:
    """The carrier's (or aggregator's) most recent estimate, by when it was issued, then received."""
    if len(shipment.estimates) == 1:  # the usual case: no set to build, no keys to compare
        (only,) = shipment.estimates
        return only if only.source in CARRIER_ESTIMATE_SOURCES else None
    estimates = [estimate for estimate in set(shipment.estimates) if estimate.source in CARRIER_ESTIMATE_SOURCES]
    return max(
        estimates,
        key=lambda e: (e.event_time.timestamp(), e.received_at.timestamp(), e.estimated_delivery.timestamp()),
        default=None,
    )


@per_snapshot
def live_shipments(order: OrderState) -> tuple[ShipmentState, ...]:
    """Shipments whose label has not been voided, in a stable order."""
    return tuple(sorted((s for s in order.shipments if not s.voided), key=lambda s: s.shipment_id))


@per_snapshot
def superseded(order: OrderState, catalog: Catalog, now: dt.datetime) -> frozenset[str]:
    """Shipments a later reship has taken over: one on course to keep the promise.

    Their own lateness is no longer the order's problem — the recovery is. Should the reship go
    wrong (late, lost, never handed over), it stops taking over and they count again.
    """
    shipments = live_shipments(order)
    if not has_reship(order):
        return frozenset()  # only a reship takes over, whatever the time
    taken = {
        earlier.shipment_id
        for reship in shipments
        if reship.is_reship and on_course(order, reship, catalog, now)
        for earlier in shipments
        if earlier.shipment_id != reship.shipment_id and earlier.label_created_at <= reship.label_created_at
    }
    return frozenset(taken)


@per_snapshot
def has_reship(order: OrderState) -> bool:
    """Some live shipment is a reship: only then can one be superseded."""
    return any(shipment.is_reship for shipment in live_shipments(order))


def on_course(order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime) -> bool:
    """Delivered by the promise, or on its way and expected by the promised date."""
    delivered = delivered_scan(shipment)
    if delivered is not None and is_delivered(shipment):
        return delivered.event_time <= order.promised_by
    if is_finished(shipment) or is_gone(shipment):
        return False
    return not after_promise_date(order, expected_arrival(order, shipment, catalog, now).delivery)


def watched_shipments(order: OrderState, catalog: Catalog, now: dt.datetime) -> tuple[ShipmentState, ...]:
    """Live shipments whose fate is still the order's: those no reship on course has taken over."""
    if not has_reship(order):  # the usual case, and no time-keyed lookup needed for it
        return live_shipments(order)
    taken = superseded(order, catalog, now)
    return tuple(shipment for shipment in live_shipments(order) if shipment.shipment_id not in taken)


@per_parcel
def shipment_handover_deadline(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> dt.datetime | None:
    """The hand-over deadline a labelled parcel is held to.

    An original is held to the order's (see `handover_deadline`). A reship has its own: the last
    cut-off of its service that still keeps the promise, and never earlier than the first cut-off
    after its label was made — the original's deadline has passed by the time anyone reships.
    """
    if not shipment.is_reship:
        return handover_deadline(order, catalog)
    service = shipment_service(order, shipment, catalog)
    first = cutoff_instant(service, pickup_date(service, shipment.label_created_at, order.origin_tz), order.origin_tz)
    keeps = latest_handover(
        service,
        order.promised_by,
        order.origin_tz,
        order.destination_tz,
        options=shipment.label_options,
        residential=order.residential,
        not_before=first,
    )
    return keeps or first


@per_snapshot
def label_level(shipment: ShipmentState, catalog: Catalog) -> ServiceLevel | None:
    """The level the label was bought at: as stated by the warehouse, else from the carrier's code."""
    return shipment.label_service_level or catalog.resolve_level(shipment.carrier, shipment.label_service_code)


@per_snapshot
def reported_levels(shipment: ShipmentState) -> list[ScanState]:
    """Scans in which the carrier reports the service it is carrying."""
    return [scan for scan in ordered_scans(shipment) if scan.service_level is not None]


@per_parcel
def carried_level(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> ServiceLevel:
    """Best knowledge of the level the parcel travels at: carrier-reported, label, else paid."""
    reported = reported_levels(shipment)
    if reported:
        return reported[-1].service_level  # type: ignore[return-value]
    return label_level(shipment, catalog) or order.paid_service_level


@per_parcel
def shipment_service(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> CarrierService:
    """The catalog service on the label, or a stand-in at the best-known level."""
    level = label_level(shipment, catalog) or carried_level(order, shipment, catalog)
    service = catalog.service_or_default(
        shipment.carrier, shipment.label_service_code, level, order.destination_country, order.destination_region
    )
    assert service is not None  # a level is always known here, so a stand-in always exists
    return service


def shipment_calendar(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> CarrierCalendar:
    """The calendar the shipment's carrier works on, at the order's destination."""
    return catalog.calendar(shipment.carrier, order.destination_country, order.destination_region)


def order_lane(order: OrderState) -> str:
    """The order's lane as the delivery model names it."""
    return lane(order.origin_tz, order.destination_region, order.destination_tz)


@per_parcel
def learned_transits(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> tuple[Learned, ...]:
    """What the delivery model knows about parcels like this one, most specific cell first; empty
    without enough history."""
    if catalog.model is None:
        return ()
    level = carried_level(order, shipment, catalog)
    keys = shipment_keys(shipment.carrier, shipment.label_service_code, level, order_lane(order))
    return catalog.model.transit_cells(keys)


def policy_of(catalog: Catalog) -> RulePolicy:
    return catalog.policy or DEFAULT_POLICY


def model_fact(learned: Learned, catalog: Catalog) -> dict[str, Any]:
    """The model version, cell and sample size behind a finding."""
    fitted_at = catalog.model.fitted_at if catalog.model else None
    return fact(learned.evidence(), "delivery model", fitted_at)


def handover_deadline(order: OrderState, catalog: Catalog) -> dt.datetime | None:
    """Latest hand-over at the paid level that still keeps the promise.

    With a label, its carrier decides. Before any label, the most generous carrier the catalog
    knows: an order is not late to ship while some carrier could still keep the promise (no
    alarm before the facts support it — a federal holiday one carrier observes is not a reason).
    With history, the transit allowed for is the learned quantile (policy) of what this shop's
    parcels paid at that level took on the lane, not the catalog's.
    """
    return handover_basis(order, catalog).at


@per_snapshot
def handover_basis(order: OrderState, catalog: Catalog) -> Handover:
    """The hand-over deadline with what it rests on (see `handover_deadline`)."""
    labelled = next((shipment.carrier for shipment in live_shipments(order)), None)
    return _handover(
        catalog,
        labelled,
        order.paid_service_level,
        order.promised_by,
        order.origin_tz,
        order.destination_tz,
        order.residential,
        order.destination_country,
        order.destination_region,
    )


@dataclass(frozen=True)
class Handover:
    """A hand-over deadline, and the learned transit it allows for (None: the catalog's)."""

    at: dt.datetime | None
    learned: Learned | None = None
    transit_days: int | None = None


@lru_cache(maxsize=16_384)
def _handover(
    catalog: Catalog,
    carrier: str | None,
    level: ServiceLevel,
    promised_by: dt.datetime,
    origin_tz: str,
    destination_tz: str,
    residential: bool,
    country: str | None = None,
    subdivision: str | None = None,
) -> Handover:
    """`handover_basis` of every order sharing a carrier, paid level, promise and route (bounded LRU:
    each snapshot of an order asks again, and many orders share a promise time and route)."""
    carriers = [carrier] if carrier else [name for name in catalog.carriers() if name != "generic"] or ["generic"]
    learned, days = _learned_handover_transit(catalog, level, lane(origin_tz, subdivision, destination_tz))
    services = [
        catalog.service_for_level(name, level) or catalog.default_service(name, level, country, subdivision)
        for name in carriers
    ]
    if days is not None:
        services = [
            replace(s, typical_transit_days=days, max_transit_days=max(days, s.max_transit_days)) for s in services
        ]
    deadlines = [
        latest_handover(service, promised_by, origin_tz, destination_tz, residential=residential)
        for service in services
    ]
    at = max((deadline for deadline in deadlines if deadline is not None), default=None)
    return Handover(at, learned, days)


def _learned_handover_transit(catalog: Catalog, level: ServiceLevel, on_lane: str) -> tuple[Learned | None, int | None]:
    share = policy_of(catalog).lowest(NOT_SHIPPED_IN_TIME)
    learned = catalog.model.transit_for(paid_keys(level, on_lane)) if catalog.model and share is not None else None
    quantile = learned.distribution.quantile(share) if learned is not None and share is not None else None
    if quantile is None:
        return None, None
    return learned, int(quantile)


@dataclass(frozen=True)
class Expectation:
    """When a shipment should arrive, and which fact says so."""

    delivery: dt.datetime
    evidence: dict[str, Any]


def expected_arrival(order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime) -> Expectation:
    """Carrier estimate if any; else our projection once scanned; else the label service handed over now."""
    estimate = latest_carrier_estimate(shipment)
    if estimate is not None:
        return Expectation(
            estimate.estimated_delivery,
            fact(estimate.estimated_delivery, f"{estimate.source.value} estimate", estimate.event_time),
        )
    service = shipment_service(order, shipment, catalog)
    if first_carrier_scan(shipment) is not None:
        projected = projection(order, shipment, catalog, now)
        return Expectation(projected, fact(projected, "order_watch projection from scans", now))
    handover = max(shipment.label_created_at, now)
    arrives = expected_delivery(
        service,
        handover,
        order.origin_tz,
        order.destination_tz,
        options=shipment.label_options,
        residential=order.residential,
    )
    return Expectation(arrives, fact(arrives, f"promise engine: {service.name} handed over", handover))


@per_parcel
def projection(order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime) -> dt.datetime:
    """Our own delivery projection for a shipment (see promise.project_delivery)."""
    accepted = first_carrier_scan(shipment)
    current = current_scan(shipment)
    return project_delivery(
        shipment_service(order, shipment, catalog),
        accepted_at=accepted.event_time if accepted else None,
        last_scan_at=current.event_time if current else None,
        last_status=current.status if current else None,
        now=now,
        origin_tz=order.origin_tz,
        destination_tz=order.destination_tz,
        options=shipment.label_options,
        residential=order.residential,
    )


def after_promise_date(order: OrderState, instant: dt.datetime) -> bool:
    """True when `instant` falls on a later destination-local date than the promise.

    Estimates often carry only a date (their latest instant is the end of that day), so a
    same-day estimate is not late against an end-of-day promise.
    """
    return local_date(instant, order.destination_tz) > promised_date(order)


@per_snapshot
def promised_date(order: OrderState) -> dt.date:
    """The promise's destination-local date (most rules compare with it)."""
    return local_date(order.promised_by, order.destination_tz)


@per_snapshot
def unshipped_quantities(order: OrderState) -> dict[str, int]:
    """Ordered quantity per SKU that no live shipment carries; empty if any shipment's content is unknown.

    Kept per snapshot (a rule and its `due_at` both ask): callers read it, never change it."""
    shipments = live_shipments(order)
    if any(not shipment.lines for shipment in shipments):
        return {}
    shipped = _quantities(line for shipment in shipments for line in shipment.lines)
    ordered = _quantities(order.lines)
    return {sku: qty - shipped.get(sku, 0) for sku, qty in sorted(ordered.items()) if qty > shipped.get(sku, 0)}


@per_snapshot
def best_recovery(
    order: OrderState, catalog: Catalog, now: dt.datetime, current_expected: dt.datetime | None
) -> RecoveryOption | None:
    """The top-ranked recovery plan for the order, or None when nothing beats the current parcel;
    its `last_chance` is the latest act-by of any plan that keeps the promise.

    `current_expected` None means nothing usable is on its way (no label, lost, damaged): then
    even a plan that misses the promise is offered, as the earliest possible replacement.

    A carrier the order already ships with is preferred when its best plan is as good (same
    promise verdict, same arrival date): the warehouse has that account and pick-up already.
    Several rules ask it with the same arguments, so it is kept per snapshot.
    """
    options = _all_recovery_options(order, catalog, now, current_expected)
    if not options:
        return None
    used = {shipment.carrier.strip().lower() for shipment in live_shipments(order)}
    familiar = next((option for option in options if option.carrier in used), None)
    chosen = familiar if familiar is not None and _as_good(order, familiar, options[0]) else options[0]
    latest = last_chance(
        catalog,
        now=now,
        promised_by=order.promised_by,
        origin_tz=order.origin_tz,
        destination_tz=order.destination_tz,
        residential=order.residential,
    )
    return replace(chosen, last_chance=max(latest, chosen.act_by) if latest and chosen.meets_promise else latest)


def _as_good(order: OrderState, candidate: RecoveryOption, best: RecoveryOption) -> bool:
    same_day = local_date(candidate.expected_delivery, order.destination_tz) == local_date(
        best.expected_delivery, order.destination_tz
    )
    return candidate.meets_promise == best.meets_promise and same_day and candidate.options == best.options


def _all_recovery_options(
    order: OrderState, catalog: Catalog, now: dt.datetime, current_expected: dt.datetime | None
) -> list[RecoveryOption]:
    return recovery_options(
        catalog,
        now=now,
        promised_by=order.promised_by,
        current_expected_delivery=current_expected,
        origin_tz=order.origin_tz,
        destination_tz=order.destination_tz,
        residential=order.residential,
        include_late=current_expected is None,
    )


@per_snapshot
def fulfilled_on_time(order: OrderState) -> bool:
    """True when shipments delivered by the promise carry everything ordered: nothing left to watch."""
    on_time = [
        shipment
        for shipment in live_shipments(order)
        if (scan := delivered_scan(shipment)) is not None
        and is_delivered(shipment)
        and scan.event_time <= order.promised_by
    ]
    if not on_time:
        return False
    if any(not shipment.lines for shipment in on_time) or not order.lines:
        return True
    delivered = _quantities(line for shipment in on_time for line in shipment.lines)
    return all(delivered.get(sku, 0) >= qty for sku, qty in _quantities(order.lines).items())


def _quantities(lines: Iterable[LineState]) -> dict[str, int]:
    # A plain dictionary, not a Counter: this runs on every evaluation and Counter() costs more.
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def order_evidence(order: OrderState) -> dict[str, Any]:
    """The order facts every finding shows next to its own."""
    return {
        "paid_service_level": fact(order.paid_service_level, "order", order.placed_at),
        "promised_by": fact(order.promised_by, "order", order.placed_at),
    }


def day_label(instant: dt.datetime, order: OrderState) -> str:
    """A destination-local day for summaries, e.g. "Fri Nov 20"."""
    return wall_day(instant, order.destination_tz)


def time_label(instant: dt.datetime, zone: str) -> str:
    """A wall-clock time for summaries, in the zone its reader thinks in: the warehouse's for
    hand-overs, the customer's for deliveries. E.g. "Thu Nov 19, 17:00 CST"."""
    return wall_clock(instant, zone)


LEVEL_WORDS = {
    ServiceLevel.SAME_DAY: "same-day",
    ServiceLevel.NEXT_DAY: "next-day",
    ServiceLevel.TWO_DAY: "two-day",
    ServiceLevel.THREE_DAY: "three-day",
    ServiceLevel.GROUND: "ground",
    ServiceLevel.ECONOMY: "economy",
}


def level_word(value: object) -> str:
    """ "next-day" for NEXT_DAY: a service level as people say it."""
    try:
        return LEVEL_WORDS.get(ServiceLevel(str(value)), str(value).lower())
    except ValueError:
        return str(value).lower()


def service_words(order: OrderState, shipment: ShipmentState, catalog: Catalog) -> str:
    """The label's service by name ("UPS Ground"), or what we know of it when the code is not in the catalog."""
    service = shipment_service(order, shipment, catalog)
    if not service.is_default:
        return service.name
    carrier = catalog.carrier_name(shipment.carrier)
    return f"{carrier} {level_word(service.level)} (service {shipment.label_service_code})"
