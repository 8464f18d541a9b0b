"""Carrier calendars: which local dates a carrier picks up and delivers on, and business time.

A calendar is built from a carrier's data file (see `data/`). Dates are local calendar dates;
callers turn them into instants with `local_instant` in the zone that matters (origin for
pick-ups, destination for deliveries). All arithmetic on instants goes through UTC, because
Python subtracts two datetimes sharing one tzinfo by wall clock and gets DST days wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from services.order_watch.promise.observance import WEEKDAYS, Observance

Zone = str | dt.tzinfo
"""An IANA zone name ("America/Chicago") or a tzinfo."""

SATURDAY = 5
# tzinfo types whose utcoffset() is never None.
ALWAYS_AWARE = frozenset({ZoneInfo, dt.timezone})
ONE_DAY = dt.timedelta(days=1)
# How far any search over dates may run before we call the calendar broken.
MAX_SEARCH_DAYS = 400


def as_zone(zone: Zone) -> dt.tzinfo:
    """The tzinfo for an IANA name, or the tzinfo itself."""
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def local_instant(day: dt.date, at: dt.time, zone: Zone) -> dt.datetime:
    """The aware instant of wall-clock `at` on `day` in `zone`."""
    return dt.datetime.combine(day, at, tzinfo=as_zone(zone))


def local_date(instant: dt.datetime, zone: Zone) -> dt.date:
    """The calendar date of an aware instant as seen in `zone`."""
    return require_aware(instant).astimezone(as_zone(zone)).date()


def require_aware(instant: dt.datetime) -> dt.datetime:
    """Reject naive datetimes: a time without a zone is a bug here, never a guess."""
    # An IANA zone or a fixed offset always gives an offset: only another tzinfo need be asked
    # (asking costs a zone lookup, and this runs for every date the rules read).
    if type(instant.tzinfo) not in ALWAYS_AWARE and (instant.tzinfo is None or instant.utcoffset() is None):
        raise ValueError(f"timezone-aware datetime required, got naive {instant!r}")
    return instant


class HashedOnce:
    """For a frozen dataclass that keys memos: its hash, worked out once from its compared fields,
    and a pickled copy that works its own out again (string hashes differ between processes).

    A dataclass writes its own `__hash__` unless its body names one, so each class says
    `__hash__ = HashedOnce.__hash__`.
    """

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in fields(self) if f.compare))  # type: ignore[arg-type]

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name != "_hash"}


@dataclass(frozen=True)
class CarrierCalendar(HashedOnce):
    """A carrier's working days, holidays, pick-up cut-off and business hours."""

    carrier: str
    pickup_weekdays: frozenset[int]
    delivery_weekdays: frozenset[int]
    observance: Observance
    pickup_cutoff: dt.time
    business_start: dt.time
    business_end: dt.time

    # Calendars key memos (stalls, regional calendars): hashed once, not per lookup.
    __hash__ = HashedOnce.__hash__

    # Memos on the (immutable) calendar, created on first use: the rules ask the same few dates
    # (about two months either side of today) on every evaluation, so each answer is one lookup.
    @cached_property
    def _holidays_memo(self) -> dict[int, dict[dt.date, str]]:
        return {}

    @cached_property
    def _days_memo(self) -> dict[dt.date, tuple[bool, bool, bool]]:
        return {}

    def holidays_in(self, year: int) -> dict[dt.date, str]:
        """The dates of `year` the carrier closes, with the holiday's name (any year: see `observance`)."""
        memo = self._holidays_memo
        closed = memo.get(year)
        if closed is None:
            closed = memo[year] = self.observance.closed_days(year)
        return closed

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.holidays_in(day.year)

    def _day(self, day: dt.date) -> tuple[bool, bool, bool]:
        """(pick-up day, delivery day — also a business day —, delivery day counting Saturday)."""
        known = self._days_memo.get(day)
        if known is None:
            weekday, holiday = day.weekday(), self.is_holiday(day)
            delivers = not holiday and weekday in self.delivery_weekdays
            known = self._days_memo[day] = (
                not holiday and weekday in self.pickup_weekdays,
                delivers,
                delivers or (not holiday and weekday == SATURDAY),
            )
        return known

    def is_pickup_day(self, day: dt.date) -> bool:
        return self._day(day)[0]

    def is_delivery_day(self, day: dt.date, *, saturday: bool = False) -> bool:
        """A date the carrier delivers on; Saturday only when `saturday` (option or service default)."""
        return self._day(day)[2 if saturday else 1]

    def is_business_day(self, day: dt.date) -> bool:
        """A normal working weekday: what business hours and scan gaps are counted on."""
        return self._day(day)[1]

    def next_pickup_day(self, after: dt.date) -> dt.date:
        """The first pick-up day strictly after `after`."""
        return self._next_day(after, 0)

    def next_delivery_day(self, after: dt.date, *, saturday: bool = False) -> dt.date:
        """The first delivery day strictly after `after`."""
        return self._next_day(after, 2 if saturday else 1)

    def _next_day(self, after: dt.date, kind: int) -> dt.date:
        """The first day after `after` whose `_day` answer `kind` is yes (memoised like `_day`)."""
        memo = self._next_memo
        found = memo.get((after, kind))
        if found is None:
            found = memo[(after, kind)] = _next_matching(after, lambda day: self._day(day)[kind])
        return found

    @cached_property
    def _next_memo(self) -> dict[tuple[dt.date, int], dt.date]:
        return {}

    def add_delivery_days(self, start: dt.date, days: int, *, saturday: bool = False) -> dt.date:
        """The date `days` delivery days after `start` (0 gives `start` itself)."""
        # Keys are (start date, days, saturday): the dates a process plans around, each with a
        # handful of transit lengths, so the memo grows by a few hundred keys a day at most.
        memo = self._delivery_days_memo
        key = (start, days, saturday)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._add_delivery_days(start, days, saturday=saturday)
        return hit

    @cached_property
    def _delivery_days_memo(self) -> dict[tuple[dt.date, int, bool], dt.date]:
        return {}

    def delivery_days_between(self, start: dt.date, end: dt.date, *, saturday: bool = False) -> int:
        """How many delivery days fall after `start` up to and including `end` (0 when `end` <= `start`)."""
        count, day = 0, start
        while day < end:
            day = self.next_delivery_day(day, saturday=saturday)
            count += day <= end
        return count

    def _add_delivery_days(self, start: dt.date, days: int, *, saturday: bool = False) -> dt.date:
        day = start
        for _ in range(days):
            day = self.next_delivery_day(day, saturday=saturday)
        return day


def _next_matching(after: dt.date, accept: Callable[[dt.date], bool]) -> dt.date:
    day = after
    for _ in range(MAX_SEARCH_DAYS):
        day += ONE_DAY
        if accept(day):
            return day
    raise ValueError(f"no matching day within {MAX_SEARCH_DAYS} days after {after}")


def business_time_between(
    calendar: CarrierCalendar, start: dt.datetime, end: dt.datetime, tz: Zone, *, whole_days: bool = False
) -> dt.timedelta:
    """Time between two instants counting only business hours on business days in `tz`.

    Used by the "stalled" rule: a parcel sitting over a weekend or a holiday is not late.
    `whole_days` counts business days around the clock (hubs scan at night: a silence learned
    that way does not depend on which zone's office hours it is counted in).
    Returns zero when `end` is not after `start`.
    """
    zone = as_zone(tz)
    start_utc, end_utc = require_aware(start).astimezone(dt.UTC), require_aware(end).astimezone(dt.UTC)
    if end_utc <= start_utc:
        return dt.timedelta(0)
    total = dt.timedelta(0)
    day, last = local_date(start_utc, zone), local_date(end_utc, zone)
    while day <= last:
        if calendar.is_business_day(day):
            total += _overlap(start_utc, end_utc, *_business_window(calendar, day, zone, whole_days))
        day += ONE_DAY
    return total


def _business_window(
    calendar: CarrierCalendar, day: dt.date, zone: dt.tzinfo, whole_days: bool = False
) -> tuple[dt.datetime, dt.datetime]:
    if whole_days:
        return local_instant(day, dt.time(0), zone).astimezone(dt.UTC), local_instant(
            day + ONE_DAY, dt.time(0), zone
        ).astimezone(dt.UTC)
    opens = local_instant(day, calendar.business_start, zone).astimezone(dt.UTC)
    closes = local_instant(day, calendar.business_end, zone).astimezone(dt.UTC)
    return opens, closes


def _overlap(start: dt.datetime, end: dt.datetime, opens: dt.datetime, closes: dt.datetime) -> dt.timedelta:
    return max(dt.timedelta(0), min(end, closes) - max(start, opens))


def add_business_time(
    calendar: CarrierCalendar, start: dt.datetime, amount: dt.timedelta, tz: Zone, *, whole_days: bool = False
) -> dt.datetime:
    """The instant at which `amount` of business time has elapsed since `start` (inverse of the above)."""
    zone = as_zone(tz)
    remaining = amount
    cursor = require_aware(start).astimezone(dt.UTC)
    day = local_date(cursor, zone)
    for _ in range(MAX_SEARCH_DAYS):
        if calendar.is_business_day(day):
            opens, closes = _business_window(calendar, day, zone, whole_days)
            begin = max(cursor, opens)
            if begin < closes:
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
        day += ONE_DAY
    raise ValueError(f"business time {amount} does not fit within {MAX_SEARCH_DAYS} days")


def weekday_numbers(names: list[str]) -> frozenset[int]:
    """Turn ["MON", "TUE", …] from a data file into weekday numbers (Monday = 0)."""
    return frozenset(WEEKDAYS.index(name.upper()) for name in names)
