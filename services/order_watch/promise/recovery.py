"""Recovery plans: which service, shipped by when, still rescues (or best limits) a late delivery.

A recovery is only worth offering when it arrives on an earlier *calendar date* at the
destination than the parcel already on its way: an overnight without Saturday delivery that
lands on the same Monday as the ground parcel is not a recovery (PRODUCT.md, story 1).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.common.vocab import ServiceLevel, ServiceOption
from services.order_watch.promise.calendar import Zone, as_zone, local_date, require_aware
from services.order_watch.promise.catalog import CarrierService, Catalog
from services.order_watch.promise.delivery import (
    NO_OPTIONS,
    cutoff_instant,
    delivery_from_pickup,
    latest_handover,
    ship_date,
)

SATURDAY_ONLY: frozenset[ServiceOption] = frozenset({ServiceOption.SATURDAY_DELIVERY})
# The memo caches below are sized by the working set, not the history: every key names a day (of
# the hand-over asked about, or the pick-up day it ships on), and time only moves forward (a live
# worker asks about today, a backtest's clock never goes back), so past days are not asked again.
# A replay at 360 orders a day misses per day about 130 `_ranked_plans`, 110 `_last_chance`, 190
# `_plan_core`, 40 `_ranked` and 15 `_variants` keys, with the same hits at these sizes as at eight
# times them (docs/backtest.md, *Throughput and memory*); each holds a week or more of them. A
# larger bound only keeps past days: `_ranked`'s entries are ~14 `RecoveryOption`s each.
PLANS_CACHE = 2_048
RANKINGS_CACHE = 512
VARIANTS_CACHE = 256


@dataclass(frozen=True)
class RecoveryOption:
    """Ship `service_code` (with `options`) by `act_by` and it arrives by `expected_delivery`."""

    carrier: str
    service_code: str
    service_name: str
    service_level: ServiceLevel
    options: frozenset[ServiceOption]
    act_by: dt.datetime
    expected_delivery: dt.datetime
    meets_promise: bool
    guaranteed: bool = False
    cost_rank: int = 0
    last_chance: dt.datetime | None = None
    """The latest act-by of any plan that keeps the promise (this one's or a dearer one's): after
    it nothing saves the promise. Set by whoever chose this option from a ranked list."""

    def as_evidence(self) -> dict[str, Any]:
        """A JSON-able description for alerts and the truth view."""
        return {
            "carrier": self.carrier,
            "service_code": self.service_code,
            "service_name": self.service_name,
            "service_level": self.service_level.value,
            "options": sorted(option.value for option in self.options),
            "act_by": self.act_by.isoformat(),
            "expected_delivery": self.expected_delivery.isoformat(),
            "meets_promise": self.meets_promise,
            "guaranteed": self.guaranteed,
            "last_chance": self.last_chance.isoformat() if self.last_chance else None,
        }


def recovery_options(
    catalog: Catalog,
    *,
    now: dt.datetime,
    promised_by: dt.datetime,
    current_expected_delivery: dt.datetime | None,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool = True,
    carriers: Iterable[str] | None = None,
    include_late: bool = False,
) -> list[RecoveryOption]:
    """Every service (with and without Saturday delivery) that beats the current parcel, best first.

    A new parcel is handed over `now` (rolling to the next cut-off like any hand-over). Ground and
    economy services are planned on their maximum transit days: a rescue must not rely on luck.
    Kept: options arriving on an earlier destination date than `current_expected_delivery`, or,
    without a current estimate, those meeting the promise — or all of them with `include_late`
    (nothing is on its way: a lost parcel, an unshipped line, so a late rescue still helps).
    Ranked: promise-meeting options first (no extra options, then slower = cheaper level, then
    the later act-by); then the rest by earliest arrival, fewer options, slower level.
    """
    local = require_aware(now).astimezone(as_zone(origin_tz))
    day, at = local.date(), _window_cutoff(catalog, local.time())
    plans = _ranked_plans(catalog, day, at, promised_by, origin_tz, destination_tz, residential)
    wanted = {carrier.strip().lower() for carrier in carriers} if carriers is not None else None
    current_day = local_date(current_expected_delivery, destination_tz) if current_expected_delivery else None
    # The date test before the instant one: comparing instants in two zones is the dearer test.
    return [
        option
        for option, arrives_on in plans
        if (wanted is None or option.carrier in wanted)
        and ((option.meets_promise or include_late) if current_day is None else arrives_on < current_day)
        and option.act_by >= now
    ]


def last_chance(
    catalog: Catalog,
    *,
    now: dt.datetime,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool = True,
) -> dt.datetime | None:
    """The last moment any recovery still keeps the promise: the latest cut-off, over every
    service and option set (Saturday delivery included), whose worst-case delivery is by the
    promise. None when no hand-over from `now` on keeps it.

    Not the recommended plan's act-by — that is the cheapest option's cut-off — but the one after
    which nothing saves the promise (PRODUCT.md story 1: "on Thursday there was still time").
    """
    local = require_aware(now).astimezone(as_zone(origin_tz))
    latest = _last_chance(catalog, local.date(), _window_cutoff(catalog, local.time()), promised_by,
                          origin_tz, destination_tz, residential)  # fmt: skip
    return latest if latest is not None and latest >= now else None


@lru_cache(maxsize=PLANS_CACHE)
def _last_chance(
    catalog: Catalog,
    day: dt.date,
    at: dt.time,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
) -> dt.datetime | None:
    """`last_chance` per cut-off window (orders sharing a promise and route share it)."""
    cutoffs = []
    for service in catalog.services():
        earliest = cutoff_instant(service, ship_date(service, day, at), origin_tz)
        for options in option_sets(service):
            found = latest_handover(service, promised_by, origin_tz, destination_tz, options=options,
                                    residential=residential, not_before=earliest, worst_case=True)  # fmt: skip
            if found is not None:
                cutoffs.append(found)
    return max(cutoffs, default=None)


def _window_cutoff(catalog: Catalog, at: dt.time) -> dt.time:
    """The earliest cut-off of any service at or after local time `at` (time.max when all have passed).

    Every hand-over between two consecutive cut-offs of a day ships on the same dates for every
    service, so plans are computed once per such window, as if handed over at its closing cut-off.
    """
    cutoffs = _cutoffs(catalog)
    index = bisect_left(cutoffs, at)
    return cutoffs[index] if index < len(cutoffs) else dt.time.max


@lru_cache(maxsize=8)
def _cutoffs(catalog: Catalog) -> tuple[dt.time, ...]:
    return tuple(sorted({service.pickup_cutoff for service in catalog.services()}))


@lru_cache(maxsize=PLANS_CACHE)
def _ranked_plans(
    catalog: Catalog,
    day: dt.date,
    at: dt.time,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
) -> tuple[tuple[RecoveryOption, dt.date], ...]:
    """Every variant of every service handed over on `day` at local `at`, ranked, with its
    destination arrival date (bounded LRU: orders sharing a promise and route share plans).

    The promise only decides which variants keep it: orders with other promises that the same
    variants keep (or miss) share one ranking (`_ranked`)."""
    variants = _variants(catalog, day, at, origin_tz, destination_tz, residential)
    meets = tuple(arrives <= promised_by for _, _, arrives, _ in variants)
    return _ranked(catalog, day, at, origin_tz, destination_tz, residential, meets)


@lru_cache(maxsize=RANKINGS_CACHE)
def _ranked(
    catalog: Catalog,
    day: dt.date,
    at: dt.time,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
    meets: tuple[bool, ...],
) -> tuple[tuple[RecoveryOption, dt.date], ...]:
    """The `_variants` as recovery options, each keeping the promise or not as `meets` says, ranked."""
    variants = _variants(catalog, day, at, origin_tz, destination_tz, residential)
    plans = [
        RecoveryOption(
            carrier=service.carrier,
            service_code=service.code,
            service_name=service.name,
            service_level=service.level,
            options=options,
            act_by=act_by,
            expected_delivery=arrives,
            meets_promise=meets_promise,
            guaranteed=service.guaranteed,
            cost_rank=service.cost_rank,
        )
        for (service, options, arrives, act_by), meets_promise in zip(variants, meets, strict=True)
    ]
    return tuple((option, local_date(option.expected_delivery, destination_tz)) for option in sorted(plans, key=_rank))


@lru_cache(maxsize=VARIANTS_CACHE)
def _variants(
    catalog: Catalog, day: dt.date, at: dt.time, origin_tz: Zone, destination_tz: Zone, residential: bool
) -> tuple[tuple[CarrierService, frozenset[ServiceOption], dt.datetime, dt.datetime], ...]:
    """(service, options, arrival, act-by) of every variant worth planning for a hand-over on `day`
    at local `at`, in catalog order: what a plan is, before any promise judges it."""
    return tuple(
        variant
        for service in catalog.services()
        for variant in _service_variants(service, ship_date(service, day, at), origin_tz, destination_tz, residential)
    )


def option_sets(service: CarrierService) -> tuple[frozenset[ServiceOption], ...]:
    """The option sets worth planning a service with: plain, and Saturday delivery where it is an
    extra-cost option (a service that delivers Saturdays anyway gains nothing from it)."""
    if service.saturday_delivery_option and not service.delivers_saturday:
        return (NO_OPTIONS, SATURDAY_ONLY)
    return (NO_OPTIONS,)


def _service_variants(
    service: CarrierService, shipped_on: dt.date, origin_tz: Zone, destination_tz: Zone, residential: bool
) -> list[tuple[CarrierService, frozenset[ServiceOption], dt.datetime, dt.datetime]]:
    variants = []
    for options in option_sets(service):
        arrives, act_by = _plan_core(service, options, shipped_on, origin_tz, destination_tz, residential)
        if act_by is not None:
            variants.append((service, options, arrives, act_by))
    if len(variants) == 2 and variants[1][2] >= variants[0][2]:
        variants.pop()  # paying for Saturday delivery is pointless when it does not arrive sooner
    return variants


@lru_cache(maxsize=PLANS_CACHE)
def _plan_core(
    service: CarrierService,
    options: frozenset[ServiceOption],
    shipped_on: dt.date,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
) -> tuple[dt.datetime, dt.datetime | None]:
    """(arrival, act-by) of a service shipped on a pick-up day.

    Both depend only on the pick-up day, not on the minute within it, so plans are memoised
    per day: every order evaluated that day shares them (bounded LRU, pure inputs).
    """
    arrives = delivery_from_pickup(
        service, shipped_on, destination_tz, options=options, residential=residential, worst_case=True
    )
    act_by = latest_handover(
        service,
        arrives,
        origin_tz,
        destination_tz,
        options=options,
        residential=residential,
        not_before=cutoff_instant(service, shipped_on, origin_tz),
        worst_case=True,
    )
    return arrives, act_by


def _rank(option: RecoveryOption) -> tuple:
    tiebreak = (option.cost_rank, option.carrier, option.service_code)
    if option.meets_promise:
        return (0, len(option.options), -option.service_level.speed_rank, -option.act_by.timestamp(), *tiebreak)
    return (1, option.expected_delivery.timestamp(), len(option.options), -option.service_level.speed_rank, *tiebreak)
