"""A parcel's journey as carrier scans: the healthy path, and each injected failure bent out of it.

Pure and seeded: every function takes the simulator's `random.Random`. Times follow the carrier
calendars (pick-up cut-off at the origin, delivery days and commit times at the destination),
so a healthy parcel keeps its promise and a failed one breaks it the way it does in real life.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.backtest.truth import Failure
from services.order_watch.backtest.world import NO_ESTIMATES, STANDARD_ESTIMATES, TRUE_ESTIMATES
from services.order_watch.learning.model import ROUTINE_SCANS
from services.order_watch.promise import CarrierService, pickup_date
from services.order_watch.promise.calendar import ONE_DAY, local_instant

ACCEPTANCE_START = dt.time(17, 20)
HUB_SCAN_START = dt.time(1, 0)
HUB_DEPARTURE_START = dt.time(12, 0)
OUT_FOR_DELIVERY_START = dt.time(7, 0)
EXCEPTION_REASONS = (ExceptionReason.WEATHER, ExceptionReason.MISSORTED, ExceptionReason.HELD, ExceptionReason.ADDRESS)


@dataclass(frozen=True)
class ScanPlan:
    """One carrier scan to emit: when, what, and the estimated delivery date it carries, if any."""

    at: dt.datetime
    status: TrackingStatus
    description: str
    zone: str
    reason: ExceptionReason | None = None
    estimate: dt.date | None = None
    service_level: ServiceLevel | None = None


@dataclass(frozen=True)
class Leg:
    """Where a parcel goes and on which service."""

    service: CarrierService
    origin_tz: str
    destination_tz: str
    residential: bool
    lane_days: int
    actual_days: int | None = None
    """This parcel's true transit, when the world disagrees with the catalog."""
    hub_scans: bool = True
    """False: the carrier scans nothing between acceptance and delivery."""
    estimates: str = TRUE_ESTIMATES
    """What the carrier's estimate says: the true date, the standard transit's, or nothing."""

    @property
    def saturday(self) -> bool:
        return self.service.delivers_saturday

    def standard_transit_days(self) -> int:
        """Typical transit, plus the lane's extra days for ground and economy (never past the maximum)."""
        base = self.service.typical_transit_days
        if self.service.max_transit_days > base:
            return min(self.service.max_transit_days, base + self.lane_days)
        return base

    def transit_days(self) -> int:
        """The transit this parcel really takes: the world's when it says, else the standard."""
        return self.standard_transit_days() if self.actual_days is None else self.actual_days

    def delivery_day(self, pickup: dt.date, extra_days: int = 0) -> dt.date:
        calendar = self.service.calendar
        return calendar.add_delivery_days(pickup, self.transit_days() + extra_days, saturday=self.saturday)


@dataclass(frozen=True)
class Journey:
    scans: list[ScanPlan]
    delivered_at: dt.datetime | None


def _at(rng: random.Random, day: dt.date, start: dt.time, spread_minutes: int, zone: str) -> dt.datetime:
    base = local_instant(day, start, ZoneInfo(zone))
    return base + dt.timedelta(minutes=rng.randint(0, spread_minutes))


def _delivered_at(rng: random.Random, leg: Leg, day: dt.date) -> dt.datetime:
    commit = leg.service.commit_time(leg.residential)
    latest = min(dt.datetime.combine(day, commit), dt.datetime.combine(day, dt.time(19, 30)))
    earliest = max(latest - dt.timedelta(hours=9), dt.datetime.combine(day, dt.time(8, 0)))
    span = max(5, int((latest - earliest).total_seconds() // 60) - 5)
    local = earliest + dt.timedelta(minutes=rng.randint(0, span))
    return local.replace(tzinfo=ZoneInfo(leg.destination_tz))


def healthy_scans(
    rng: random.Random, leg: Leg, pickup: dt.date, delivery: dt.date, first_estimate: dt.date | None = None
) -> list[ScanPlan]:
    """Acceptance on the pick-up evening, a hub scan each night, out for delivery, delivered."""
    scans = [
        ScanPlan(
            _at(rng, pickup, ACCEPTANCE_START, 150, leg.origin_tz),
            TrackingStatus.ACCEPTED,
            "Picked up",
            leg.origin_tz,
            estimate=first_estimate or delivery,
            service_level=leg.service.level,
        )
    ]
    day = pickup + ONE_DAY
    while day <= delivery:
        scans.append(_hub_scan(rng, leg, day, HUB_SCAN_START, "Arrived at facility"))
        if day < delivery:
            scans.append(_hub_scan(rng, leg, day, HUB_DEPARTURE_START, "Departed facility"))
        day += ONE_DAY
    out = _at(rng, delivery, OUT_FOR_DELIVERY_START, 90, leg.destination_tz)
    scans.append(
        ScanPlan(out, TrackingStatus.OUT_FOR_DELIVERY, "Out for delivery", leg.destination_tz, estimate=delivery)
    )
    scans.append(ScanPlan(_delivered_at(rng, leg, delivery), TrackingStatus.DELIVERED, "Delivered", leg.destination_tz))
    return scans


def _hub_scan(rng: random.Random, leg: Leg, day: dt.date, start: dt.time, what: str) -> ScanPlan:
    return ScanPlan(_at(rng, day, start, 180, leg.origin_tz), TrackingStatus.IN_TRANSIT, what, leg.origin_tz)


def journey(rng: random.Random, leg: Leg, label_at: dt.datetime, failure: Failure) -> Journey:
    """The scans after the label for a parcel suffering `failure` (Failure.NONE for a healthy one)."""
    pickup = pickup_date(leg.service, label_at, leg.origin_tz)
    label_scan = ScanPlan(
        label_at + dt.timedelta(minutes=rng.randint(1, 10)), TrackingStatus.PRE_TRANSIT, "Label created", leg.origin_tz
    )
    bend = _BENDS.get(failure, _healthy)
    scans, delivered_at = bend(rng, leg, pickup)
    return Journey([label_scan, *_as_reported(leg, pickup, scans)], delivered_at)


def _as_reported(leg: Leg, pickup: dt.date, scans: list[ScanPlan]) -> list[ScanPlan]:
    """The scans as this carrier reports them: without hub scans, with the estimates it gives."""
    if not leg.hub_scans:
        scans = [scan for scan in scans if scan.status not in ROUTINE_SCANS]
    if leg.estimates == NO_ESTIMATES:
        return [replace(scan, estimate=None) for scan in scans]
    if leg.estimates == STANDARD_ESTIMATES:
        standard = leg.service.calendar.add_delivery_days(pickup, leg.standard_transit_days(), saturday=leg.saturday)
        return [replace(scan, estimate=standard) if scan.status is TrackingStatus.ACCEPTED else scan for scan in scans]
    return scans


def _healthy(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    scans = healthy_scans(rng, leg, pickup, leg.delivery_day(pickup))
    return scans, scans[-1].at


def _never_scanned(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """Half are never handed over; the rest are found on the dock 2-4 pick-up days later."""
    if rng.random() < 0.5:
        return [], None
    found = pickup
    for _ in range(rng.randint(2, 4)):
        found = leg.service.calendar.next_pickup_day(found)
    scans = healthy_scans(rng, leg, found, leg.delivery_day(found))
    return scans, scans[-1].at


def _estimate_slip(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """The carrier admits a later date at the first hub scan, and delivers on it."""
    original = leg.delivery_day(pickup)
    late = leg.delivery_day(pickup, rng.randint(1, 3))
    scans = healthy_scans(rng, leg, pickup, late, first_estimate=original)
    scans[1] = replace(scans[1], estimate=late, description="Delay: missed connection")
    return scans, scans[-1].at


def _stall(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """No scans for days after acceptance; scanning resumes with a new estimate."""
    original = leg.delivery_day(pickup)
    late = leg.delivery_day(pickup, rng.randint(2, 4))
    scans = healthy_scans(rng, leg, pickup, late, first_estimate=original)
    keep_first_hub = 1 if leg.transit_days() > 1 else 0
    silent_until = late - ONE_DAY
    kept = [
        scan
        for index, scan in enumerate(scans)
        if index <= keep_first_hub
        or scan.status is not TrackingStatus.IN_TRANSIT
        or scan.at.astimezone(ZoneInfo(scan.zone)).date() >= silent_until
    ]
    resume = keep_first_hub + 1
    kept[resume] = replace(kept[resume], estimate=late)
    return kept, kept[-1].at


def _exception(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """An exception on the way (weather, missort, held, address); delivery slips 1-2 days."""
    original = leg.delivery_day(pickup)
    late = leg.delivery_day(pickup, rng.randint(1, 2))
    scans = healthy_scans(rng, leg, pickup, late, first_estimate=original)
    index = rng.randint(1, max(1, len(scans) - 3))
    before = scans[index]
    reason = rng.choice(EXCEPTION_REASONS)
    at = before.at + dt.timedelta(minutes=rng.randint(60, 240))
    estimate = late if rng.random() < 0.5 else None
    exception = ScanPlan(at, TrackingStatus.EXCEPTION, f"Exception: {reason.value}", before.zone, reason, estimate)
    later = [replace(scan, estimate=scan.estimate or late) if i == index + 1 else scan for i, scan in enumerate(scans)]
    ordered = sorted([*later, exception], key=lambda scan: scan.at)
    return ordered, ordered[-1].at


def _lost(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """Accepted, one hub scan, then nothing until the carrier declares it lost."""
    scans = healthy_scans(rng, leg, pickup, leg.delivery_day(pickup))[:2]
    at = scans[-1].at + dt.timedelta(days=rng.randint(5, 8), hours=rng.randint(0, 6))
    scans.append(ScanPlan(at, TrackingStatus.EXCEPTION, "Package lost", leg.origin_tz, ExceptionReason.LOST))
    return scans, None


def _return(rng: random.Random, leg: Leg, pickup: dt.date) -> tuple[list[ScanPlan], dt.datetime | None]:
    """Out for delivery, an address exception, then back to the sender."""
    delivery = leg.delivery_day(pickup)
    scans = healthy_scans(rng, leg, pickup, delivery)[:-1]
    failed = _at(rng, delivery, dt.time(11, 0), 240, leg.destination_tz)
    back = _at(rng, delivery + ONE_DAY, dt.time(9, 0), 240, leg.destination_tz)
    scans.append(
        ScanPlan(failed, TrackingStatus.EXCEPTION, "Address incomplete", leg.destination_tz, ExceptionReason.ADDRESS)
    )
    scans.append(
        ScanPlan(
            back,
            TrackingStatus.RETURN_TO_SENDER,
            "Returning to sender",
            leg.destination_tz,
            ExceptionReason.RETURN_TO_SENDER,
        )
    )
    return scans, None


_BENDS = {
    Failure.NEVER_SCANNED: _never_scanned,
    Failure.ESTIMATE_SLIP: _estimate_slip,
    Failure.STALL: _stall,
    Failure.EXCEPTION: _exception,
    Failure.LOST: _lost,
    Failure.RETURN: _return,
}
