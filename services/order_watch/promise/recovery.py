"""Recovery plans: which service, shipped by when, still rescues (or best limits) a late delivery.

A recovery is only worth offering when it arrives on an earlier *calendar date* at the
destination than the parcel already on its way: an overnight without Saturday delivery that
lands on the same Monday as the ground parcel is not a recovery (PRODUCT.md, story 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.common.vocab import ServiceLevel, ServiceOption
from services.order_watch.promise.calendar import Zone, local_date, require_aware
from services.order_watch.promise.catalog import CarrierService, Catalog
from services.order_watch.promise.delivery import (
    NO_OPTIONS,
    cutoff_instant,
    delivery_from_pickup,
    latest_handover,
    pickup_date,
)

SATURDAY_ONLY: frozenset[ServiceOption] = frozenset({ServiceOption.SATURDAY_DELIVERY})


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
    require_aware(now)
    wanted = {carrier.strip().lower() for carrier in carriers} if carriers is not None else None
    candidates: list[RecoveryOption] = []
    for service in catalog.services():
        if wanted is not None and service.carrier not in wanted:
            continue
        candidates.extend(_service_variants(service, now, promised_by, origin_tz, destination_tz, residential))
    kept = [
        option
        for option in candidates
        if option.act_by >= now and _beats(option, current_expected_delivery, destination_tz, include_late)
    ]
    return sorted(kept, key=_rank)


def option_sets(service: CarrierService) -> tuple[frozenset[ServiceOption], ...]:
    """The option sets worth planning a service with: plain, and Saturday delivery where it is an
    extra-cost option (a service that delivers Saturdays anyway gains nothing from it)."""
    if service.saturday_delivery_option and not service.delivers_saturday:
        return (NO_OPTIONS, SATURDAY_ONLY)
    return (NO_OPTIONS,)


def _service_variants(
    service: CarrierService,
    now: dt.datetime,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
) -> list[RecoveryOption]:
    plain = _plan(service, NO_OPTIONS, now, promised_by, origin_tz, destination_tz, residential)
    if len(option_sets(service)) == 1:
        return [plain] if plain else []
    saturday = _plan(service, SATURDAY_ONLY, now, promised_by, origin_tz, destination_tz, residential)
    # Paying for Saturday delivery is pointless when it does not arrive sooner.
    if saturday and plain and saturday.expected_delivery >= plain.expected_delivery:
        saturday = None
    return [variant for variant in (plain, saturday) if variant]


def _plan(
    service: CarrierService,
    options: frozenset[ServiceOption],
    now: dt.datetime,
    promised_by: dt.datetime,
    origin_tz: Zone,
    destination_tz: Zone,
    residential: bool,
) -> RecoveryOption | None:
    shipped_on = pickup_date(service, now, origin_tz)
    arrives, act_by = _plan_core(service, options, shipped_on, origin_tz, destination_tz, residential)
    if act_by is None:
        return None
    return RecoveryOption(
        carrier=service.carrier,
        service_code=service.code,
        service_name=service.name,
        service_level=service.level,
        options=options,
        act_by=act_by,
        expected_delivery=arrives,
        meets_promise=arrives <= promised_by,
        guaranteed=service.guaranteed,
        cost_rank=service.cost_rank,
    )


@lru_cache(maxsize=16_384)
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


def _beats(option: RecoveryOption, current: dt.datetime | None, destination_tz: Zone, include_late: bool) -> bool:
    if current is None:
        return option.meets_promise or include_late
    return local_date(option.expected_delivery, destination_tz) < local_date(current, destination_tz)


def _rank(option: RecoveryOption) -> tuple:
    tiebreak = (option.cost_rank, option.carrier, option.service_code)
    if option.meets_promise:
        return (0, len(option.options), -option.service_level.speed_rank, -option.act_by.timestamp(), *tiebreak)
    return (1, option.expected_delivery.timestamp(), len(option.options), -option.service_level.speed_rank, *tiebreak)
