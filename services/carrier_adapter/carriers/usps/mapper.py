"""USPS subscription envelopes → canonical tracking events. Pure: no I/O, no clock.

Envelope (carriers.md §6.2): `{subscriptionId, subscriptionType, timestamp, payload, links}`,
where `payload` is a *string* holding a Tracking v3 document (§6.1): `trackingNumber`, `mailClass`,
estimates, and `trackingEvents[]`, one event per scan.

Times: `eventTimestamp` is the local wall clock with no offset; `GMTOffset` gives the offset, so
we keep both and compute UTC from them (karrio labels the local time as UTC, §9.4). Without
`GMTOffset` the offset is derived from `GMTTimestamp`; without either, the zone is resolved from
the scan location.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.carriers.usps import statuses
from services.carrier_adapter.carriers.usps.services import service_level
from services.carrier_adapter.normalize.fields import (
    as_object,
    clean_text,
    get_list,
    get_nonblank_text,
    load_object,
    parse_json,
)
from services.carrier_adapter.normalize.times import ResolvedTime, from_aware, from_local, from_utc, parse_iso
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import EstimateSource, ExceptionReason, TrackingStatus

SLUG = "usps"
OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# The carrier's estimate, best first: the customer-facing expected time, the model's prediction,
# then the Express guarantee.
ESTIMATE_FIELDS = ("expectedDeliveryTimeStamp", "predictedDeliveryDate", "guaranteedDeliveryTimeStamp")

MAX_UTC_OFFSET = timedelta(hours=14)  # the widest offset any place keeps (Kiribati, +14:00)


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    tracking = _payload(load_object(request.body))
    tracking_number = get_nonblank_text(tracking, "trackingNumber", "payload.trackingNumber")
    mail_class = clean_text(tracking.get("mailClass"))
    shared = {
        "tracking_number": tracking_number,
        "estimated_delivery": _estimate(tracking),
        "service_level": service_level(mail_class),
        "raw_service": mail_class,
    }
    scans = get_list(tracking, "trackingEvents", "payload.trackingEvents")
    events = [_scan_event(scan, f"payload.trackingEvents[{index}]", shared) for index, scan in enumerate(scans)]
    return Normalized(events=events)


def _payload(envelope: dict[str, Any]) -> dict[str, Any]:
    """The Tracking v3 document inside the envelope (documented as a string; an object is accepted)."""
    payload = envelope.get("payload")
    if payload is None:
        raise PayloadError("payload", "field required")
    document = parse_json(payload, "payload") if isinstance(payload, str) else payload
    if not isinstance(document, dict):
        raise PayloadError("payload", "expected a JSON object (or a string holding one)")
    return document


def _scan_event(scan: Any, path: str, shared: dict[str, Any]) -> TrackingUpdated:
    scan = as_object(scan, path)
    location = _location(scan)
    when = _scan_time(scan, location, path)
    code = clean_text(scan.get("eventCode"))
    description = clean_text(scan.get("eventType"))
    status, reason = _status(code, description)
    return TrackingUpdated(
        source=SLUG,
        carrier=SLUG,
        status=status,
        exception_reason=reason,
        raw_status_code=code,
        description=description,
        location=location,
        signed_by=clean_text(scan.get("name")) if status is TrackingStatus.DELIVERED else None,
        **shared,
        **when.as_fields(),
    )


def _status(code: str | None, text: str | None) -> tuple[TrackingStatus, ExceptionReason | None]:
    """The event code where the reference knows it, else the event text, else unknown."""
    if code and code.upper() in statuses.BY_EVENT_CODE:
        return statuses.BY_EVENT_CODE[code.upper()]
    return _from_text(text) or (TrackingStatus.UNKNOWN, None)


def _from_text(text: str | None) -> tuple[TrackingStatus, ExceptionReason | None] | None:
    lowered = (text or "").lower()
    for phrase, status, reason in statuses.PHRASES:
        if phrase in lowered:
            return status, reason
    return None


def _scan_time(scan: dict[str, Any], location: Location | None, path: str) -> ResolvedTime:
    local_text, gmt_text = clean_text(scan.get("eventTimestamp")), clean_text(scan.get("GMTTimestamp"))
    if not local_text:
        if not gmt_text:
            raise PayloadError(f"{path}.eventTimestamp", "field required")
        return from_utc(parse_iso(gmt_text, f"{path}.GMTTimestamp"))
    local = parse_iso(local_text, f"{path}.eventTimestamp")
    if local.tzinfo is not None:
        return from_aware(local)
    offset = _offset(clean_text(scan.get("GMTOffset")), f"{path}.GMTOffset")
    if offset is None and gmt_text:
        gmt = parse_iso(gmt_text, f"{path}.GMTTimestamp")
        offset = _rounded_offset(local - gmt.replace(tzinfo=None))
        if abs(offset) > MAX_UTC_OFFSET:
            raise PayloadError(
                f"{path}.GMTTimestamp",
                f"is {abs(offset)} from eventTimestamp; a place's UTC offset is at most {MAX_UTC_OFFSET}",
            )
    if offset is None:
        return from_local(local, location)
    return from_aware(local.replace(tzinfo=timezone(offset)))


def _offset(text: str | None, field: str) -> timedelta | None:
    if not text:
        return None
    match = OFFSET.match(text)
    if not match or int(match[2]) > 14 or int(match[3]) >= 60:
        raise PayloadError(field, f"not a +HH:MM offset: {text!r}")
    minutes = int(match[2]) * 60 + int(match[3])
    return timedelta(minutes=-minutes if match[1] == "-" else minutes)


def _rounded_offset(difference: timedelta) -> timedelta:
    """Local minus GMT to the nearest quarter hour: USPS's GMT time carries seconds the local one drops."""
    return timedelta(minutes=15 * round(difference.total_seconds() / 900))


def _estimate(tracking: dict[str, Any]) -> EstimatedDelivery | None:
    """A naive estimate tells only its (destination-local) date; an aware one is also the window end."""
    for field in ESTIMATE_FIELDS:
        text = clean_text(tracking.get(field))
        if text:
            moment = parse_iso(text, f"payload.{field}")
            return EstimatedDelivery(
                date=moment.date(),
                window_end=moment if moment.tzinfo is not None else None,
                source=EstimateSource.CARRIER,
                source_field=field,
            )
    return None


def _location(scan: dict[str, Any]) -> Location | None:
    location = Location(
        city=clean_text(scan.get("eventCity")),
        region=clean_text(scan.get("eventState")),
        postal_code=clean_text(scan.get("eventZIP")),
        country=clean_text(scan.get("eventCountry")),
    )
    return location if any(location.model_dump().values()) else None
