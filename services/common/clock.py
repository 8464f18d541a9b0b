"""An injectable clock: live code, tests and backtests read `now` from the same interface."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


def utc_iso(instant: datetime) -> str:
    """An instant as ISO 8601 in UTC: one spelling per instant.

    Rules compute times in the warehouse's or the customer's zone; PostgreSQL gives them back in
    UTC. What compares or dedupes by text (alert and task snapshots, escalation keys, messages)
    must spell one instant one way, or a re-evaluation sees a change where there is none.
    """
    return instant.astimezone(UTC).isoformat()


def wall_clock(instant: datetime, zone: str, *, seconds: bool = False) -> str:
    """ "Thu Nov 19, 17:00 CST": an instant as people read it where `zone` is; with `seconds`,
    "17:00:05", for timelines where several things happen within one minute."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %b} {local.day}, {local:{'%H:%M:%S' if seconds else '%H:%M'}} {local.tzname()}"


def wall_day(instant: datetime, zone: str) -> str:
    """ "Thu Nov 19": the day an instant falls on where `zone` is."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %b} {local.day}"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, backtests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        self._now += delta
