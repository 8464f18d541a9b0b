"""Turn a sender's timestamp into UTC without lying about it.

Senders give (a) an ISO time with an offset, (b) a naive local wall-clock time, or
(c) a naive time documented as UTC. We keep the local time and its offset, and for (b) we
resolve the zone from the scan location; when no zone can be resolved we fall back to UTC
and say so (`time_zone_assumed`). Never label a local time as UTC (karrio's bug).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from services.carrier_adapter.carriers.base import PayloadError
from services.carrier_adapter.normalize.zones import zone_for_location
from services.common.contracts.tracking import Location


@dataclass(frozen=True)
class ResolvedTime:
    utc: datetime
    local: datetime | None
    utc_offset_minutes: int | None
    time_zone: str | None
    assumed: bool

    def as_fields(self) -> dict[str, object]:
        """The TrackingUpdated fields this resolution fills."""
        return {
            "event_time": self.utc,
            "event_local_time": self.local,
            "utc_offset_minutes": self.utc_offset_minutes,
            "time_zone": self.time_zone,
            "time_zone_assumed": self.assumed,
        }


def parse_iso(value: str, field: str) -> datetime:
    """Parse ISO 8601 (with `Z`, an offset or naive); PayloadError names the field otherwise."""
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise PayloadError(field, f"not an ISO 8601 time: {value!r}") from exc


def from_aware(moment: datetime) -> ResolvedTime:
    """A time that carries its own offset: keep the wall clock and the offset."""
    offset = moment.utcoffset()
    assert offset is not None
    return ResolvedTime(
        utc=moment.astimezone(UTC),
        local=moment.replace(tzinfo=None),
        utc_offset_minutes=int(offset.total_seconds() // 60),
        time_zone=None,
        assumed=False,
    )


def from_local(local: datetime, location: Location | None) -> ResolvedTime:
    """A naive wall-clock time at `location`: resolve the zone, or assume UTC and say so."""
    zone_name, exact = zone_for_location(location)
    if zone_name is None:
        return ResolvedTime(local.replace(tzinfo=UTC), local, None, None, assumed=True)
    aware = local.replace(tzinfo=ZoneInfo(zone_name))
    offset = aware.utcoffset()
    assert offset is not None
    return ResolvedTime(
        utc=aware.astimezone(UTC),
        local=local,
        utc_offset_minutes=int(offset.total_seconds() // 60),
        time_zone=zone_name,
        assumed=not exact,
    )


def from_utc(moment: datetime) -> ResolvedTime:
    """A time the sender documents as UTC (naive or `Z`)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return ResolvedTime(utc=utc, local=None, utc_offset_minutes=0, time_zone="UTC", assumed=False)


def resolve(value: str, field: str, location: Location | None) -> ResolvedTime:
    """Parse an ISO string: aware values keep their offset, naive ones are resolved at `location`."""
    parsed = parse_iso(value, field)
    return from_aware(parsed) if parsed.tzinfo is not None else from_local(parsed, location)


def combine_local(day: str, clock: str | None, field: str) -> datetime:
    """Join a carrier's separate date and time strings (YYYYMMDD or YYYY-MM-DD; HHMMSS or HH:MM[:SS])."""
    try:
        digits = day.replace("-", "")
        parsed_day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        parsed_time = time(0, 0)
        if clock:
            clean = clock.replace(":", "")
            parsed_time = time(int(clean[:2]), int(clean[2:4]), int(clean[4:6] or 0))
    except (ValueError, IndexError) as exc:
        raise PayloadError(field, f"not a date/time: {day!r} {clock!r}") from exc
    return datetime.combine(parsed_day, parsed_time)
