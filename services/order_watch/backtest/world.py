"""Worlds that disagree with the catalog: how parcels really travel in a simulation, as data.

Without a world the simulator plays the catalog's own world (parcels take the catalog's typical
transit, scan at every hub and carry the true date as the carrier's estimate), which the engine
cannot fail to match. A world file (`worlds/*.json`) says, per carrier, service and lane, what is
really true there, so the engine has to learn it:

* `carriers` (mix), `paid_mix`, `destinations` (with country and region), `origin_tz`;
* `services`: services of carriers the catalog does not know (code and level);
* `lanes`: rules matched in order (first match wins, any field of `match` may be left out):
  `transit_days` (delivery days → weight), `promise_days` (what the shop promises, in delivery
  days) or `promise_offset_days` (added to the catalog's), `hub_scans` (false: nothing between
  acceptance and delivery), `estimates` (`true` — the carrier's estimate is the true date,
  `standard` — the catalog's transit, `none`);
* `failure_rates` (as in `SimulationConfig`).

Pure apart from `load_world`, which reads a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.contracts.orders import Address
from services.common.vocab import ServiceLevel
from services.order_watch.backtest.truth import Failure

TRUE_ESTIMATES, STANDARD_ESTIMATES, NO_ESTIMATES = "true", "standard", "none"


@dataclass(frozen=True)
class Lane:
    """What is true for parcels matching `match` (carrier, code, level, region, country)."""

    match: Mapping[str, str] = field(default_factory=dict)
    transit_days: Mapping[int, float] | None = None
    promise_days: int | None = None
    promise_offset_days: int = 0
    hub_scans: bool = True
    estimates: str = TRUE_ESTIMATES

    def matches(self, facts: Mapping[str, str | None]) -> bool:
        return all(facts.get(name) == value for name, value in self.match.items())


CATALOG_LANE = Lane()


@dataclass(frozen=True)
class Destination:
    """Where orders ship to, how often, and the extra ground days on the lane from the warehouse."""

    city: str
    region: str
    postal_code: str
    time_zone: str
    lane_days: int
    """Extra ground/economy days on this lane from the warehouse (capped at the service maximum)."""
    weight: float
    country: str = "US"

    def address(self) -> Address:
        """Where the order ships to, as the order system says it."""
        return Address(
            postal_code=self.postal_code,
            country=self.country,
            region=self.region,
            city=self.city,
            time_zone=self.time_zone,
        )


@dataclass(frozen=True)
class World:
    """A simulated world; every field left out of the file keeps the catalog world's value."""

    name: str
    description: str = ""
    origin_tz: str | None = None
    carriers: Mapping[str, float] | None = None
    paid_mix: Mapping[ServiceLevel, float] | None = None
    destinations: tuple[Destination, ...] = ()
    services: tuple[tuple[str, str, ServiceLevel], ...] = ()
    """(carrier, code, level) of services the catalog does not know."""
    lanes: tuple[Lane, ...] = ()
    failure_rates: Mapping[Failure, float] | None = None

    def lane(self, facts: Mapping[str, str | None]) -> Lane:
        """The first lane rule matching a parcel's facts; the catalog's truth when none does."""
        return next((lane for lane in self.lanes if lane.matches(facts)), CATALOG_LANE)

    def services_of(self, carrier: str, level: ServiceLevel) -> list[str]:
        return [code for name, code, at in self.services if name == carrier and at == level]


def world_from_data(raw: Mapping[str, Any]) -> World:
    """A world from its JSON form (see the module docstring)."""
    return World(
        name=raw["name"],
        description=raw.get("description", ""),
        origin_tz=raw.get("origin_tz"),
        carriers=raw.get("carriers"),
        paid_mix={ServiceLevel(level): weight for level, weight in raw["paid_mix"].items()}
        if "paid_mix" in raw
        else None,
        destinations=tuple(Destination(**destination) for destination in raw.get("destinations", ())),
        services=tuple((s["carrier"], s["code"], ServiceLevel(s["level"])) for s in raw.get("services", ())),
        lanes=tuple(_lane(lane) for lane in raw.get("lanes", ())),
        failure_rates={Failure(name): rate for name, rate in raw["failure_rates"].items()}
        if "failure_rates" in raw
        else None,
    )


def _lane(raw: Mapping[str, Any]) -> Lane:
    transit = raw.get("transit_days")
    estimates = raw.get("estimates", TRUE_ESTIMATES)
    if estimates not in (TRUE_ESTIMATES, STANDARD_ESTIMATES, NO_ESTIMATES):
        raise ValueError(f"lane estimates must be true, standard or none, got {estimates!r}")
    return Lane(
        match=dict(raw.get("match", {})),
        transit_days={int(days): weight for days, weight in transit.items()} if transit else None,
        promise_days=raw.get("promise_days"),
        promise_offset_days=raw.get("promise_offset_days", 0),
        hub_scans=raw.get("hub_scans", True),
        estimates=estimates,
    )


def load_world(path: Path) -> World:
    """Read a world file."""
    return world_from_data(json.loads(path.read_text(encoding="utf-8")))
