"""When a parcel will arrive: from a hand-over, from carrier scans, and back from a promise.

The model, kept deliberately simple and conservative:

* a hand-over counts for the day it happens if that day is a pick-up day and the hand-over is
  at or before the cut-off (origin local time); otherwise it rolls to the next pick-up day;
* delivery is the pick-up date plus the service's transit days, counted on the carrier's
  delivery days (weekdays that are not the carrier's holidays, plus Saturdays when the service
  delivers Saturdays by default or SATURDAY_DELIVERY was bought and is offered);
* the parcel arrives at the service's commit time on that date, destination local time.
"""

from __future__ import annotations

import datetime as dt

from services.common.vocab import ServiceOption, TrackingStatus
from services.order_watch.promise.calendar import (
    ONE_DAY,
    Zone,
    as_zone,
    local_date,
    local_instant,
    require_aware,
)
from services.order_watch.promise.catalog import CarrierService

NO_OPTIONS: frozenset[ServiceOption] = frozenset()
# Without a floor, latest_handover looks back this far before giving up.
LOOKBACK_DAYS = 60
# Statuses after which the carrier needs at least one more delivery day (a retry, a fix).
NEEDS_ANOTHER_DAY = frozenset({TrackingStatus.DELIVERY_ATTEMPTED, TrackingStatus.EXCEPTION, TrackingStatus.DELAYED})


def pickup_date(service: CarrierService, handed_over_at: dt.datetime, origin_tz: Zone) -> dt.date:
    """The carrier's ship date for a hand-over: today if a pick-up day before cut-off, else the next one."""
    local = require_aware(handed_over_at).astimezone(as_zone(origin_tz))
    return ship_date(service, local.date(), local.time())


def ship_date(service: CarrierService, day: dt.date, at: dt.time) -> dt.date:
    """The ship date of a hand-over at local wall-clock `at` on `day` (see `pickup_date`)."""
    if service.calendar.is_pickup_day(day) and at <= service.pickup_cutoff:
        return day
    return service.calendar.next_pickup_day(day)


def cutoff_instant(service: CarrierService, day: dt.date, origin_tz: Zone) -> dt.datetime:
    """The last moment a hand-over on `day` still ships that day."""
    return local_instant(day, service.pickup_cutoff, origin_tz)


def delivery_from_pickup(
    service: CarrierService,
    shipped_on: dt.date,
    destination_tz: Zone,
    *,
    options: frozenset[ServiceOption] = NO_OPTIONS,
    residential: bool = True,
    worst_case: bool = False,
) -> dt.datetime:
    """The committed delivery instant for a parcel the carrier ships on `shipped_on`."""
    saturday = service.delivers_on_saturday(options)
    arrives_on = service.calendar.add_delivery_days(
        shipped_on, service.transit_days(worst_case=worst_case), saturday=saturday
    )
    return local_instant(arrives_on, service.commit_time(residential), destination_tz)


def expected_delivery(
    service: CarrierService,
    handed_over_at: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    *,
    options: frozenset[ServiceOption] = NO_OPTIONS,
    residential: bool = True,
    worst_case: bool = False,
) -> dt.datetime:
    """When a parcel handed to the carrier at `handed_over_at` is committed to arrive.

    `worst_case` uses the service's maximum transit days instead of the typical ones (they only
    differ for ground and economy services).
    """
    shipped_on = pickup_date(service, handed_over_at, origin_tz)
    return delivery_from_pickup(
        service, shipped_on, destination_tz, options=options, residential=residential, worst_case=worst_case
    )


def latest_handover(
    service: CarrierService,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    *,
    options: frozenset[ServiceOption] = NO_OPTIONS,
    residential: bool = True,
    not_before: dt.datetime | None = None,
    worst_case: bool = False,
) -> dt.datetime | None:
    """The latest hand-over (a pick-up day's cut-off) whose expected delivery is <= `promised_by`.

    Any hand-over before a cut-off ships like one at it, so the answer is always a cut-off
    instant. Returns None when no cut-off at or after `not_before` is early enough.
    """
    require_aware(promised_by)
    # Delivery is never before pick-up, so no pick-up after the promised date (+1 for zone skew) helps.
    day = local_date(promised_by, origin_tz) + ONE_DAY
    floor = local_date(not_before, origin_tz) if not_before else day - dt.timedelta(days=LOOKBACK_DAYS)
    # `cutoff_instant` and `delivery_from_pickup` of each day, with what does not depend on the day
    # taken out of the loop: every plan of every service walks it.
    calendar, transit = service.calendar, service.transit_days(worst_case=worst_case)
    saturday, commit = service.delivers_on_saturday(options), service.commit_time(residential)
    origin, destination = as_zone(origin_tz), as_zone(destination_tz)
    while day >= floor:
        if calendar.is_pickup_day(day):
            cutoff = dt.datetime.combine(day, service.pickup_cutoff, tzinfo=origin)
            if (not_before is None or cutoff >= not_before) and dt.datetime.combine(
                calendar.add_delivery_days(day, transit, saturday=saturday), commit, tzinfo=destination
            ) <= promised_by:
                return cutoff
        day -= ONE_DAY
    return None


def project_delivery(
    service: CarrierService,
    *,
    accepted_at: dt.datetime | None,
    last_scan_at: dt.datetime | None,
    last_status: TrackingStatus | None,
    now: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    options: frozenset[ServiceOption] = NO_OPTIONS,
    residential: bool = True,
) -> dt.datetime:
    """Our own projection of delivery, independent of what the carrier estimates.

    * Delivered: the delivery scan time.
    * Otherwise the base is the service's typical transit from the first acceptance scan (its
      local date is the ship date — the carrier already has the parcel, so the cut-off no longer
      matters), or from `now` when no carrier has scanned it yet.
    * When `now` is already past that base, the parcel is overdue: it cannot arrive before the
      next commit time still ahead (today's if today is a delivery day and it has not passed);
      after an attempt, exception or delay it needs at least the next delivery day.

    The result is the later of the base and that floor, so it never moves earlier as time passes.
    """
    if last_status is TrackingStatus.DELIVERED and last_scan_at is not None:
        return last_scan_at
    if accepted_at is not None:
        shipped_on = scan_ship_date(service, accepted_at, origin_tz)
        base = delivery_from_pickup(service, shipped_on, destination_tz, options=options, residential=residential)
    else:
        base = expected_delivery(service, now, origin_tz, destination_tz, options=options, residential=residential)
    floor = _earliest_arrival_from(service, now, destination_tz, options, residential, last_status)
    return max(base, floor)


def scan_ship_date(service: CarrierService, accepted_at: dt.datetime, origin_tz: Zone) -> dt.date:
    """The pick-up day of an acceptance scan (a weekend scan ships the next pick-up day)."""
    day = local_date(accepted_at, origin_tz)
    return day if service.calendar.is_pickup_day(day) else service.calendar.next_pickup_day(day)


def _earliest_arrival_from(
    service: CarrierService,
    now: dt.datetime,
    destination_tz: Zone,
    options: frozenset[ServiceOption],
    residential: bool,
    last_status: TrackingStatus | None,
) -> dt.datetime:
    saturday = service.delivers_on_saturday(options)
    commit = service.commit_time(residential)
    today = local_date(now, destination_tz)
    can_be_today = (
        last_status not in NEEDS_ANOTHER_DAY
        and service.calendar.is_delivery_day(today, saturday=saturday)
        and now <= local_instant(today, commit, destination_tz)
    )
    day = today if can_be_today else service.calendar.next_delivery_day(today, saturday=saturday)
    return local_instant(day, commit, destination_tz)


def claim_deadline(
    service: CarrierService,
    *,
    scheduled_delivery: dt.datetime,
    shipped_on: dt.date | None,
    destination_tz: Zone,
) -> dt.date | None:
    """Last day to file a guarantee claim, per the carrier's claim window; None when unknown."""
    if service.claim_window_days is None:
        return None
    if service.claim_window_from == "ship_date":
        if shipped_on is None:
            return None
        return shipped_on + dt.timedelta(days=service.claim_window_days)
    return local_date(scheduled_delivery, destination_tz) + dt.timedelta(days=service.claim_window_days)
