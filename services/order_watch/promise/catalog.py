"""The carrier catalog: services, their transit and commit times, and each carrier's calendar.

Everything here is read from the JSON data files in `data/` (one per carrier plus `levels.json`
for the per-level defaults), loaded once and cached. Code never hard-codes a carrier fact.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

from services.common.vocab import ServiceLevel, ServiceOption
from services.order_watch.promise.calendar import CarrierCalendar, HashedOnce, weekday_numbers
from services.order_watch.promise.observance import observance_from_data

if TYPE_CHECKING:  # the types only: the model is data handed in, promise/ imports no learning code
    from services.order_watch.learning.model import DeliveryModel
    from services.order_watch.learning.policy import RulePolicy

CARRIER_FILES = ("ups", "fedex", "usps", "dhl")
FALLBACK_CARRIER = "generic"


@dataclass(frozen=True)
class CarrierService(HashedOnce):
    """One service a carrier sells, as the promise engine needs it."""

    carrier: str
    code: str
    name: str
    level: ServiceLevel
    typical_transit_days: int
    max_transit_days: int
    commit_business: dt.time
    commit_residential: dt.time
    guaranteed: bool
    saturday_delivery_option: bool
    delivers_saturday: bool
    pickup_cutoff: dt.time
    cost_rank: int
    claim_window_days: int | None
    claim_window_from: str
    calendar: CarrierCalendar = field(repr=False)  # part of equality and hash: memoised plans are per calendar
    aliases: tuple[str, ...] = ()
    is_default: bool = False
    """True for a stand-in built from the level table because the real service is unknown."""

    # Services key the plan memos (recovery, hand-overs): hashed once, not per lookup.
    __hash__ = HashedOnce.__hash__

    def commit_time(self, residential: bool) -> dt.time:
        """The time of day at the destination by which delivery is committed."""
        return self.commit_residential if residential else self.commit_business

    def delivers_on_saturday(self, options: frozenset[ServiceOption]) -> bool:
        """Saturday counts as a delivery day by default, or when the option is bought and offered."""
        bought = ServiceOption.SATURDAY_DELIVERY in options and self.saturday_delivery_option
        return self.delivers_saturday or bought

    def transit_days(self, *, worst_case: bool = False) -> int:
        return self.max_transit_days if worst_case else self.typical_transit_days


@dataclass(frozen=True)
class LevelDefaults:
    """What we assume for a service level when the carrier service is unknown."""

    level: ServiceLevel
    typical_transit_days: int
    max_transit_days: int
    commit_business: dt.time
    commit_residential: dt.time
    normal_scan_gap: dt.timedelta


@dataclass(frozen=True, eq=False)
class Catalog:
    """All known carriers' services and calendars, plus per-level defaults."""

    calendars: dict[str, CarrierCalendar]
    services_by_carrier: dict[str, tuple[CarrierService, ...]]
    level_defaults: dict[ServiceLevel, LevelDefaults]
    claim_windows: dict[str, tuple[int | None, str]]
    model: DeliveryModel | None = None
    """What this shop's history taught (learning/); None: the catalog's priors are all we know."""
    policy: RulePolicy | None = None
    """Rule thresholds the model is read with; None: the defaults (learning/policy.py)."""
    carrier_names: dict[str, str] = field(default_factory=dict)
    """How each carrier is named to people ("FedEx" for fedex)."""

    def carrier_name(self, carrier: str) -> str:
        """The carrier as people name it; an unknown one as it was written."""
        return self.carrier_names.get(_slug(carrier), carrier.strip())

    def with_learning(self, model: DeliveryModel | None, policy: RulePolicy | None = None) -> Catalog:
        """The same carriers with a fitted model and thresholds handed to the rules."""
        return replace(self, model=model, policy=policy)

    def carriers(self) -> tuple[str, ...]:
        """Carriers whose services we know, in data-file order."""
        return tuple(self.services_by_carrier)

    def services(self, carrier: str | None = None) -> tuple[CarrierService, ...]:
        """Every service of one carrier, or of all carriers."""
        if carrier is not None:
            return self.services_by_carrier.get(_slug(carrier), ())
        return tuple(service for services in self.services_by_carrier.values() for service in services)

    def service(self, carrier: str, code: str) -> CarrierService | None:
        """The service a label code names (case-insensitive; aliases accepted), or None."""
        return self._services_by_code.get((_slug(carrier), code.strip().upper()))

    @cached_property
    def _services_by_code(self) -> dict[tuple[str, str], CarrierService]:
        # Every label is looked up on every evaluation: index the codes and aliases once per
        # catalog. The first service naming a code wins, as a search in data-file order would.
        index: dict[tuple[str, str], CarrierService] = {}
        for carrier, services in self.services_by_carrier.items():
            for service in services:
                for name in (service.code.upper(), *service.aliases):
                    index.setdefault((carrier, name), service)
        return index

    def service_for_level(self, carrier: str, level: ServiceLevel) -> CarrierService | None:
        """The cheapest service of `carrier` at exactly `level`, or None."""
        matching = [service for service in self.services(carrier) if service.level == level]
        return min(matching, key=lambda service: service.cost_rank, default=None)

    def resolve_level(self, carrier: str, code: str) -> ServiceLevel | None:
        """The canonical level of a carrier's service code, or None when the code is unknown."""
        service = self.service(carrier, code)
        return service.level if service else None

    def calendar(self, carrier: str, country: str | None = None, subdivision: str | None = None) -> CarrierCalendar:
        """The carrier's calendar. A carrier we do not know gets the fallback observance applied to
        the destination's holidays (`country`, `subdivision`; the fallback's own country without one)."""
        known = self.calendars.get(_slug(carrier))
        if known is not None:
            return known
        fallback = self.calendars[FALLBACK_CARRIER]
        if country is None:
            return fallback
        return _regional(fallback, country.upper(), subdivision.upper() if subdivision else None)

    def default_service(
        self, carrier: str, level: ServiceLevel, country: str | None = None, subdivision: str | None = None
    ) -> CarrierService:
        """A stand-in service at `level` on the carrier's calendar, from the level defaults table."""
        defaults = self.level_defaults[level]
        calendar = self.calendar(carrier, country, subdivision)
        days, start = self.claim_windows.get(_slug(carrier), (None, "scheduled_delivery"))
        return CarrierService(
            carrier=_slug(carrier),
            code=f"DEFAULT_{level.value}",
            name=f"{level.value} (assumed)",
            level=level,
            typical_transit_days=defaults.typical_transit_days,
            max_transit_days=defaults.max_transit_days,
            commit_business=defaults.commit_business,
            commit_residential=defaults.commit_residential,
            guaranteed=False,
            saturday_delivery_option=False,
            delivers_saturday=False,
            pickup_cutoff=calendar.pickup_cutoff,
            cost_rank=0,
            claim_window_days=days,
            claim_window_from=start,
            calendar=calendar,
            is_default=True,
        )

    def service_or_default(
        self,
        carrier: str,
        code: str | None,
        level: ServiceLevel | None,
        country: str | None = None,
        subdivision: str | None = None,
    ) -> CarrierService | None:
        """The label's service when the code is known, else a stand-in at `level`, else None."""
        known = self.service(carrier, code) if code else None
        if known is not None:
            return known
        return self.default_service(carrier, level, country, subdivision) if level is not None else None

    def normal_scan_gap(self, level: ServiceLevel) -> dt.timedelta:
        """Business time a healthy parcel of this level normally goes between two scans."""
        return self.level_defaults[level].normal_scan_gap


@cache
def _regional(fallback: CarrierCalendar, country: str, subdivision: str | None) -> CarrierCalendar:
    """The fallback calendar on one country's holidays: one instance per region, so memos are shared."""
    if (country, subdivision) == (fallback.observance.country, fallback.observance.subdivision):
        return fallback
    return replace(fallback, observance=fallback.observance.for_region(country, subdivision))


def _slug(carrier: str) -> str:
    return carrier.strip().lower()


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _read_json(name: str) -> dict[str, Any]:
    data = resources.files("services.order_watch.promise.data").joinpath(f"{name}.json")
    return json.loads(data.read_text(encoding="utf-8"))


def _calendar(raw: dict[str, Any]) -> CarrierCalendar:
    return CarrierCalendar(
        carrier=raw["carrier"],
        pickup_weekdays=weekday_numbers(raw["pickup_days"]),
        delivery_weekdays=weekday_numbers(raw["delivery_days"]),
        observance=observance_from_data(raw["holidays"]),
        pickup_cutoff=_time(raw["pickup_cutoff"]),
        business_start=_time(raw["business_hours"]["start"]),
        business_end=_time(raw["business_hours"]["end"]),
    )


def _service(raw: dict[str, Any], carrier: dict[str, Any], calendar: CarrierCalendar) -> CarrierService:
    return CarrierService(
        carrier=carrier["carrier"],
        code=raw["code"],
        name=raw["name"],
        level=ServiceLevel(raw["level"]),
        typical_transit_days=raw["typical_transit_days"],
        max_transit_days=raw["max_transit_days"],
        commit_business=_time(raw["commit_time"]["business"]),
        commit_residential=_time(raw["commit_time"]["residential"]),
        guaranteed=raw["guaranteed"],
        saturday_delivery_option=raw["saturday_delivery_option"],
        delivers_saturday=raw["delivers_saturday"],
        pickup_cutoff=_time(raw.get("pickup_cutoff", carrier["pickup_cutoff"])),
        cost_rank=raw["cost_rank"],
        claim_window_days=carrier["claim_window"]["days"],
        claim_window_from=carrier["claim_window"]["from"],
        calendar=calendar,
        aliases=tuple(alias.upper() for alias in raw.get("aliases", ())),
    )


def _level_defaults(raw: dict[str, Any]) -> dict[ServiceLevel, LevelDefaults]:
    return {
        ServiceLevel(name): LevelDefaults(
            level=ServiceLevel(name),
            typical_transit_days=row["typical_transit_days"],
            max_transit_days=row["max_transit_days"],
            commit_business=_time(row["commit_time"]["business"]),
            commit_residential=_time(row["commit_time"]["residential"]),
            normal_scan_gap=dt.timedelta(hours=row["normal_scan_gap_business_hours"]),
        )
        for name, row in raw["levels"].items()
    }


@cache
def load_catalog() -> Catalog:
    """Read the data files once; later calls return the same immutable catalog."""
    calendars: dict[str, CarrierCalendar] = {}
    services: dict[str, tuple[CarrierService, ...]] = {}
    claim_windows: dict[str, tuple[int | None, str]] = {}
    names: dict[str, str] = {}
    for name in (*CARRIER_FILES, FALLBACK_CARRIER):
        raw = _read_json(name)
        names[raw["carrier"]] = raw.get("name", raw["carrier"])
        calendar = _calendar(raw)
        calendars[raw["carrier"]] = calendar
        claim_windows[raw["carrier"]] = (raw["claim_window"]["days"], raw["claim_window"]["from"])
        if raw["services"]:
            services[raw["carrier"]] = tuple(_service(s, raw, calendar) for s in raw["services"])
    return Catalog(calendars, services, _level_defaults(_read_json("levels")), claim_windows, carrier_names=names)
