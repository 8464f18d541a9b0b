"""The delivery model: how this shop's parcels really travel, as learned from its own history.

Three kinds of distribution, each kept per cell of a hierarchy so that a thin cell falls back to
a broader one (and, below that, to the catalog's prior) with its sample size kept:

* transit, in delivery days on the carrier's calendar from the ship date to the delivery date,
  per lane (carrier, service code, origin zone, destination region) → carrier and service →
  carrier and level; and per paid level (on the lane, then anywhere) for before a label exists;
* label → first carrier scan, in business hours, per carrier and service → carrier and level;
* a parcel's longest silence after a scan of each status, in hours of the carrier's working
  days (counted around the clock: hubs scan at night, in no one zone's office hours), per carrier and
  status; and per carrier, how many delivered parcels had any progress scan between acceptance
  and delivery;
* the carrier's delivery rounds: per carrier, the destination-local hour of the out-for-delivery
  scan on the day a parcel was delivered, and how many delivered parcels had one — by the hour
  nearly all rounds have left, a parcel not on one will not arrive that day;
* how exceptions ended: per carrier, reason and stage (en route, or at the door) → carrier and
  stage, how many parcels whose end is known were delivered after one.

The model is data handed to the rules with the catalog (`Catalog.with_learning`), like the
catalog itself: pure, immutable, serialisable (`to_data` / `from_data`) and versioned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.learning.distribution import Distribution

Key = tuple[str, ...]
# Progress scans between acceptance and delivery: a carrier that never sends them is silent by design.
ROUTINE_SCANS = frozenset({TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY})
# A cell with fewer observations than this says too little; the next cell up answers instead.
MIN_SAMPLES = 30


def lane(origin_tz: str, destination_region: str | None, destination_tz: str) -> str:
    """A lane's name: warehouse zone to the destination's region (its zone when no region is known)."""
    return f"{origin_tz}>{destination_region or destination_tz}"


def shipment_keys(carrier: str, code: str, level: ServiceLevel, on_lane: str) -> tuple[Key, ...]:
    """Transit cells for a labelled parcel, most specific first."""
    carrier = carrier.strip().lower()
    return (("lane", carrier, code, on_lane), ("service", carrier, code), ("level", carrier, level.value))


def paid_keys(level: ServiceLevel, on_lane: str) -> tuple[Key, ...]:
    """Transit cells for an order not yet labelled: what parcels paid at `level` took."""
    return (("paid_lane", level.value, on_lane), ("paid", level.value))


def first_scan_keys(carrier: str, code: str, level: ServiceLevel) -> tuple[Key, ...]:
    carrier = carrier.strip().lower()
    return (("service", carrier, code), ("level", carrier, level.value))


def gap_key(carrier: str, status: TrackingStatus) -> Key:
    return ("gap", carrier.strip().lower(), status.value)


def rounds_key(carrier: str) -> Key:
    return ("rounds", carrier.strip().lower())


# Where a parcel was when an exception happened: on its way, or out for delivery at the door.
EN_ROUTE = "en_route"
AT_DOOR = "at_door"


def exception_keys(carrier: str, reason: ExceptionReason, stage: str) -> tuple[Key, ...]:
    """Exception-outcome cells, most specific first: the reason at that stage, then any reason."""
    carrier = carrier.strip().lower()
    return (("exception", carrier, reason.value, stage), ("exception", carrier, stage))


# An exception a person usually must act on is only a delay at a carrier that delivered at least
# this share of such parcels (of those whose end is known) after it.
RESOLVED_SHARE = 0.95

# Out-for-delivery scans are only a carrier's habit when nearly every delivered parcel had one:
# otherwise a parcel without one may still be on a truck.
ROUNDS_COVERAGE = 0.95


@dataclass(frozen=True)
class Learned:
    """The distribution that answered a question, the cell it came from and the model's version."""

    distribution: Distribution
    cell: Key
    version: str

    @property
    def sample_size(self) -> int:
        return self.distribution.size

    def evidence(self) -> dict[str, Any]:
        """What a finding shows of the model: which version, which cell, how many parcels."""
        return {"version": self.version, "cell": "/".join(self.cell), "sample_size": self.sample_size}


@dataclass(frozen=True)
class Outcomes:
    """How the parcels of one exception cell ended: delivered after it, of those whose end is known."""

    delivered: int
    seen: int
    cell: Key
    version: str

    def evidence(self) -> dict[str, Any]:
        return {"version": self.version, "cell": "/".join(self.cell), "delivered": self.delivered,
                "sample_size": self.seen}  # fmt: skip


@dataclass(frozen=True, eq=False)
class DeliveryModel:
    """Fitted distributions by cell, with when and from what window they were fitted."""

    version: str
    fitted_at: dt.datetime
    window_from: dt.datetime | None
    window_to: dt.datetime
    transit: Mapping[Key, Distribution] = field(default_factory=dict)
    first_scan: Mapping[Key, Distribution] = field(default_factory=dict)
    gaps: Mapping[Key, Distribution] = field(default_factory=dict)
    intermediate_scans: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """carrier → (delivered parcels with a progress scan — in transit, out for delivery — between
    acceptance and delivery, delivered parcels)."""
    rounds: Mapping[Key, Distribution] = field(default_factory=dict)
    """Per carrier, the destination-local hour (0–24) of the out-for-delivery scan on delivery days."""
    rounds_seen: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """carrier → (delivered parcels with an out-for-delivery scan on their delivery day, delivered parcels)."""
    exception_outcomes: Mapping[Key, tuple[int, int]] = field(default_factory=dict)
    """Exception cell (`exception_keys`) → (parcels delivered after such an exception, parcels whose
    end is known: delivered, gone back or lost, or past their promise undelivered)."""
    min_samples: int = MIN_SAMPLES

    def transit_for(self, keys: tuple[Key, ...]) -> Learned | None:
        """The most specific transit cell with enough observations; None: use the catalog."""
        return self._first(self.transit, keys)

    def transit_cells(self, keys: tuple[Key, ...]) -> tuple[Learned, ...]:
        """Every transit cell with enough observations, most specific first: a question the most
        specific cannot answer (it never saw a parcel take that long) goes to the next."""
        # Memoised on the (immutable) model: every evaluation of a parcel asks again, and the
        # questions are as few as its cells (carrier, service, lane).
        found = self._transit_cells_memo.get(keys)
        if found is None:
            found = self._transit_cells_memo[keys] = tuple(
                Learned(self.transit[key], key, self.version)
                for key in keys
                if key in self.transit and self.transit[key].size >= self.min_samples
            )
        return found

    def gap_for(self, carrier: str, status: TrackingStatus) -> Learned | None:
        key = (carrier, status)
        if key not in self._gap_memo:  # memoised like transit_cells: one cell per carrier and status
            self._gap_memo[key] = self._first(self.gaps, (gap_key(carrier, status),))
        return self._gap_memo[key]

    @cached_property
    def _transit_cells_memo(self) -> dict[tuple[Key, ...], tuple[Learned, ...]]:
        return {}

    @cached_property
    def _gap_memo(self) -> dict[tuple[str, TrackingStatus], Learned | None]:
        return {}

    def rounds_leave_by(self, carrier: str, share: float) -> tuple[float, Learned] | None:
        """The destination-local hour by which `share` of the carrier's delivery rounds have left,
        and the cell that says so; None unless enough of its delivered parcels had an
        out-for-delivery scan that morning (`ROUNDS_COVERAGE`)."""
        with_scan, delivered = self.rounds_seen.get(carrier.strip().lower(), (0, 0))
        learned = self._first(self.rounds, (rounds_key(carrier),))
        if learned is None or delivered < self.min_samples or with_scan < ROUNDS_COVERAGE * delivered:
            return None
        hour = learned.distribution.quantile(share)
        return (hour, learned) if hour is not None else None

    def carrier_resolves(self, carrier: str, reason: ExceptionReason, stage: str) -> Outcomes | None:
        """The most specific exception cell with enough parcels, when at least `RESOLVED_SHARE` of
        them were delivered after such an exception; None otherwise (or without such history).

        The history cannot tell a carrier's own fix from a person's: a shop whose staff always
        corrected these addresses will see them delivered, so the evidence names the cell and counts."""
        for key in exception_keys(carrier, reason, stage):
            delivered, seen = self.exception_outcomes.get(key, (0, 0))
            if seen >= self.min_samples:
                return Outcomes(delivered, seen, key, self.version) if delivered >= RESOLVED_SHARE * seen else None
        return None

    def never_scans_between(self, carrier: str) -> bool:
        """True when enough of the carrier's parcels were delivered and none had a scan between
        acceptance and delivery: silence is how this carrier travels, not a sign of trouble."""
        with_scans, delivered = self.intermediate_scans.get(carrier.strip().lower(), (0, 0))
        return delivered >= self.min_samples and with_scans == 0

    def _first(self, table: Mapping[Key, Distribution], keys: tuple[Key, ...]) -> Learned | None:
        for key in keys:
            found = table.get(key)
            if found is not None and found.size >= self.min_samples:
                return Learned(found, key, self.version)
        return None

    def counts(self) -> dict[str, int]:
        """How much the model saw: parcels with a transit, cells of each kind."""
        parcels = sum(delivered for _, delivered in self.intermediate_scans.values())
        return {
            "delivered_parcels": parcels,
            "transit_cells": len(self.transit),
            "first_scan_cells": len(self.first_scan),
            "gap_cells": len(self.gaps),
            "rounds_cells": len(self.rounds),
            "exception_cells": len(self.exception_outcomes),
        }

    def to_data(self) -> dict[str, Any]:
        """A JSON-ready form, for storing a fitted model."""
        return {
            "version": self.version,
            "fitted_at": self.fitted_at.isoformat(),
            "window_from": self.window_from.isoformat() if self.window_from else None,
            "window_to": self.window_to.isoformat(),
            "min_samples": self.min_samples,
            "transit": _table_data(self.transit),
            "first_scan": _table_data(self.first_scan),
            "gaps": _table_data(self.gaps),
            "intermediate_scans": {carrier: list(pair) for carrier, pair in self.intermediate_scans.items()},
            "rounds": _table_data(self.rounds),
            "rounds_seen": {carrier: list(pair) for carrier, pair in self.rounds_seen.items()},
            "exception_outcomes": [
                {"cell": list(key), "counts": list(pair)} for key, pair in sorted(self.exception_outcomes.items())
            ],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DeliveryModel:
        return cls(
            version=data["version"],
            fitted_at=dt.datetime.fromisoformat(data["fitted_at"]),
            window_from=dt.datetime.fromisoformat(data["window_from"]) if data["window_from"] else None,
            window_to=dt.datetime.fromisoformat(data["window_to"]),
            transit=_table(data["transit"]),
            first_scan=_table(data["first_scan"]),
            gaps=_table(data["gaps"]),
            intermediate_scans={carrier: (pair[0], pair[1]) for carrier, pair in data["intermediate_scans"].items()},
            # A model stored before rounds were learned has none: the rules then do without.
            rounds=_table(data.get("rounds", [])),
            rounds_seen={carrier: (pair[0], pair[1]) for carrier, pair in data.get("rounds_seen", {}).items()},
            # Nor one stored before exception outcomes: every address exception then alerts.
            exception_outcomes={
                tuple(row["cell"]): (row["counts"][0], row["counts"][1]) for row in data.get("exception_outcomes", [])
            },
            min_samples=data["min_samples"],
        )


def _table_data(table: Mapping[Key, Distribution]) -> list[dict[str, Any]]:
    return [{"cell": list(key), "rows": value.to_data()} for key, value in sorted(table.items())]


def _table(rows: list[dict[str, Any]]) -> dict[Key, Distribution]:
    return {tuple(row["cell"]): Distribution.from_data(row["rows"]) for row in rows}
