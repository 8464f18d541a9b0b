"""`tracking.v1`: one normalized carrier scan. Key: `carrier:tracking_number`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from services.common.contracts.envelope import Contract, Envelope
from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus


class Location(Contract):
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=100)


class EstimatedDelivery(Contract):
    """The carrier's estimate: a date, or a window of instants; with where it came from."""

    date: dt.date | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    source: EstimateSource = EstimateSource.CARRIER
    source_field: str | None = Field(default=None, max_length=100, description="Which payload field carried it.")

    @model_validator(mode="after")
    def _has_a_value(self) -> EstimatedDelivery:
        if self.date is None and self.window_end is None:
            raise ValueError("an estimate needs a date or a window_end")
        return self

    def latest(self, zone: dt.tzinfo) -> dt.datetime:
        """The latest moment the estimate allows: its window end, or the end of its date in `zone`
        (the destination's zone: a carrier's "Monday" means by the end of Monday there)."""
        if self.window_end is not None:
            return self.window_end
        assert self.date is not None
        return dt.datetime.combine(self.date, dt.time(23, 59, 59), tzinfo=zone)


class TrackingUpdated(Contract):
    source: str = Field(max_length=50, description="Webhook source slug: easypost, ups, generic, …")
    carrier: str = Field(min_length=1, max_length=50)
    # Lengths keep every column and the scan's dedupe key (carrier|number|time|code|estimate,
    # at most 500) storable; a longer value is a 422 naming the field, before the database.
    tracking_number: str = Field(min_length=1, max_length=100)
    status: TrackingStatus
    exception_reason: ExceptionReason | None = None
    raw_status_code: str | None = Field(
        default=None, max_length=50, description="The sender's own code, kept verbatim."
    )
    description: str | None = Field(default=None, max_length=500)
    event_time: AwareDatetime = Field(description="When the scan happened, in UTC.")
    event_local_time: dt.datetime | None = Field(
        default=None, description="Wall-clock time at the scan location, as the sender gave it (no offset)."
    )
    utc_offset_minutes: int | None = Field(default=None, description="Offset of the local time from UTC.")
    time_zone: str | None = Field(
        default=None, max_length=64, description="IANA zone used to resolve a naive local time."
    )
    time_zone_assumed: bool = Field(
        default=False, description="True when the offset was not given and no zone could be resolved."
    )
    location: Location | None = None
    estimated_delivery: EstimatedDelivery | None = None
    service_level: ServiceLevel | None = Field(default=None, description="Service the carrier reports carrying.")
    raw_service: str | None = Field(default=None, max_length=100)
    source_event_id: str | None = Field(default=None, max_length=150)
    signed_by: str | None = Field(default=None, max_length=100)


class TrackingUpdatedEvent(Envelope[TrackingUpdated]):
    EVENT_TYPE = "tracking.updated"
    event_type: Literal["tracking.updated"]


TrackingEvent = TrackingUpdatedEvent
