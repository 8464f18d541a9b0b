"""Which dates a carrier closes for holidays, for any country, subdivision and year.

The holiday dates come from the `holidays` package (a computation, no I/O); which of them a
carrier closes on, and which weekday it closes instead when a holiday falls on a weekend, is
the carrier's observance, kept as data in its file under `data/` (see `holidays` there). So no
date is typed by hand and none expires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import holidays

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# Names the `holidays` package joins with this when two holidays share a date.
NAME_SEPARATOR = "; "


@dataclass(frozen=True)
class Observance:
    """How one carrier observes one country's (and subdivision's) public holidays."""

    country: str
    subdivision: str | None = None
    closes: frozenset[str] | None = None
    """Holiday names the carrier closes on; None means every public holiday."""
    weekend_shifts: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """(weekday, day offsets closed instead): e.g. a Sunday holiday closes Monday (6, (1,)).
    A weekday not listed closes the holiday's own date only."""
    closures: tuple[tuple[dt.date, str], ...] = ()
    """One-off closures on top of the holidays (a storm, a strike)."""

    def closed_days(self, year: int) -> dict[dt.date, str]:
        """Every date of `year` the carrier is closed, with the holiday's name."""
        return _closed_days(self, year)

    def for_region(self, country: str, subdivision: str | None) -> Observance:
        """The same observance rules applied to another country's (and subdivision's) holidays."""
        return Observance(country, subdivision, self.closes, self.weekend_shifts, self.closures)


@lru_cache(maxsize=1024)
def _closed_days(observance: Observance, year: int) -> dict[dt.date, str]:
    # A shift can cross New Year (Saturday 1 January closes Friday 31 December), so look at the
    # neighbouring years too and keep the dates that land in `year`.
    shifts = dict(observance.weekend_shifts)
    closed: dict[dt.date, str] = {}
    for day, name in public_holidays(observance.country, observance.subdivision, year).items():
        if observance.closes is not None and not set(name.split(NAME_SEPARATOR)) & observance.closes:
            continue
        for offset in shifts.get(day.weekday(), (0,)):
            shifted = day + dt.timedelta(days=offset)
            if shifted.year == year:
                closed.setdefault(shifted, name if offset == 0 else f"{name} (observed)")
    closed.update((day, name) for day, name in observance.closures if day.year == year)
    return closed


@lru_cache(maxsize=1024)
def public_holidays(country: str, subdivision: str | None, year: int) -> dict[dt.date, str]:
    """Public holidays of `year` and its neighbours on their actual dates; {} for an unknown country.

    An unknown subdivision falls back to the country's national holidays.
    """
    years = range(year - 1, year + 2)
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years, observed=False)
    except NotImplementedError:
        if subdivision is None:
            return {}
        return public_holidays(country, None, year)
    return dict(found.items())


def observance_from_data(raw: dict[str, Any]) -> Observance:
    """An observance from a carrier file's `holidays` object."""
    closes = raw.get("closes", "all")
    return Observance(
        country=raw["country"],
        subdivision=raw.get("subdivision"),
        closes=None if closes == "all" else frozenset(closes),
        weekend_shifts=tuple(
            (WEEKDAYS.index(name.upper()), tuple(offsets)) for name, offsets in raw.get("weekend_shifts", {}).items()
        ),
        closures=tuple((dt.date.fromisoformat(day["date"]), day["name"]) for day in raw.get("closures", ())),
    )
