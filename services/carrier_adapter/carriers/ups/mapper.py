"""UPS payloads → canonical tracking events. Pure: no I/O, no clock.

Two shapes are accepted (carriers.md §4.2, §4.5):
- a Track Alert push (`TrackingEventRequest`): one scan at the top level;
- a Track API body (`trackResponse.shipment[].package[]`): a package's whole activity history,
  one event per activity, plus `deliveryDate[]` (SDD scheduled, RDD rescheduled, DEL delivered).

Times: UPS gives the local wall clock and a GMT offset ("-04.00" or "-05:00"); we keep both and
compute UTC from them. Without an offset the offset is derived from the GMT date/time; without
either, the zone is resolved from the scan location.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.carriers.ups import statuses
from services.carrier_adapter.carriers.ups.services import service_level
from services.carrier_adapter.normalize.times import ResolvedTime, combine_local, from_aware, from_local, from_utc
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import EstimateSource, ExceptionReason, TrackingStatus

SLUG = "ups"
OFFSET = re.compile(r"^([+-])(\d{1,2})[.:]?(\d{2})$")
# Which deliveryDate types are estimates, best first: a rescheduled date supersedes the scheduled
# one. DEL is the date it was delivered, never an estimate (karrio's bug, §9.3).
ESTIMATE_TYPES = ("RDD", "SDD")


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = _load(request.body)
    if "trackResponse" in document:
        return Normalized(events=_track_api_events(document))
    return Normalized(events=[_alert_event(document)])


def _load(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("body", f"malformed JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise PayloadError("body", "expected a JSON object")
    return document


# --- Track Alert -------------------------------------------------------------------------------


def _alert_event(document: dict[str, Any]) -> TrackingUpdated:
    tracking_number = _required_text(document, "trackingNumber", "trackingNumber")
    activity = _required_object(document, "activityStatus", "activityStatus")
    location = _location(_object(document, "activityLocation", "activityLocation"))
    when = _scan_time(
        (document.get("localActivityDate"), document.get("localActivityTime")),
        (document.get("gmtActivityDate"), document.get("gmtActivityTime")),
        document.get("gmtOffset"),
        location,
        ("localActivityDate", "gmtOffset"),
    )
    delivered = bool(_text(document.get("actualDeliveryDate")))
    status, reason = _status(activity, delivered)
    return _event(
        tracking_number,
        activity,
        when,
        location,
        status,
        reason,
        estimate=_alert_estimate(document, when),
        signed_by=_text(document.get("receivedBy")) if status is TrackingStatus.DELIVERED else None,
    )


def _alert_estimate(document: dict[str, Any], when: ResolvedTime) -> EstimatedDelivery | None:
    """`scheduledDeliveryDate` plus an optional window. `actualDeliveryDate` is not an estimate.

    UPS gives the window's wall clock without a zone; we read it at the reporting scan's offset,
    which is right for the in-area scans (out for delivery) that carry windows.
    """
    day = _text(document.get("scheduledDeliveryDate"))
    if not day:
        return None
    date = combine_local(day, None, "scheduledDeliveryDate").date()
    start = end = None
    if when.utc_offset_minutes is not None and not when.assumed:
        zone = timezone(timedelta(minutes=when.utc_offset_minutes))
        start = _window_edge(day, document.get("deliveryStartTime"), zone, "deliveryStartTime")
        end = _window_edge(day, document.get("deliveryEndTime"), zone, "deliveryEndTime")
    return EstimatedDelivery(
        date=date,
        window_start=start if end else None,
        window_end=end,
        source=EstimateSource.CARRIER,
        source_field="scheduledDeliveryDate",
    )


def _window_edge(day: str, clock: Any, zone: timezone, field: str) -> datetime | None:
    text = _text(clock)
    return combine_local(day, text, field).replace(tzinfo=zone) if text else None


# --- Track API ---------------------------------------------------------------------------------


def _track_api_events(document: dict[str, Any]) -> list[TrackingUpdated]:
    response = _required_object(document, "trackResponse", "trackResponse")
    events: list[TrackingUpdated] = []
    for s_index, shipment in enumerate(_list(response, "shipment", "trackResponse.shipment")):
        shipment_path = f"trackResponse.shipment[{s_index}]"
        if not isinstance(shipment, dict):
            raise PayloadError(shipment_path, "expected an object")
        for p_index, package in enumerate(_list(shipment, "package", f"{shipment_path}.package")):
            events.extend(_package_events(package, f"{shipment_path}.package[{p_index}]"))
    return events


def _package_events(package: Any, path: str) -> list[TrackingUpdated]:
    if not isinstance(package, dict):
        raise PayloadError(path, "expected an object")
    tracking_number = _required_text(package, "trackingNumber", f"{path}.trackingNumber")
    estimate = _package_estimate(package, path)
    service = _object(package, "service", f"{path}.service") or {}
    raw_service = _text(service.get("code"))
    events = []
    for index, activity in enumerate(_list(package, "activity", f"{path}.activity")):
        events.append(_activity_event(tracking_number, activity, f"{path}.activity[{index}]", estimate, raw_service))
    return events


def _activity_event(
    tracking_number: str, activity: Any, path: str, estimate: EstimatedDelivery | None, raw_service: str | None
) -> TrackingUpdated:
    if not isinstance(activity, dict):
        raise PayloadError(path, "expected an object")
    status_object = _required_object(activity, "status", f"{path}.status")
    where = _object(activity, "location", f"{path}.location") or {}
    location = _location(_object(where, "address", f"{path}.location.address"))
    when = _scan_time(
        (activity.get("date"), activity.get("time")),
        (activity.get("gmtDate"), activity.get("gmtTime")),
        activity.get("gmtOffset"),
        location,
        (f"{path}.date", f"{path}.gmtOffset"),
    )
    # A Track API activity carries no actual delivery date of its own; the code decides.
    status, reason = _status(status_object, delivered=False)
    return _event(
        tracking_number, status_object, when, location, status, reason, estimate=estimate, raw_service=raw_service
    )


def _package_estimate(package: dict[str, Any], path: str) -> EstimatedDelivery | None:
    """The package's rescheduled (RDD) or else scheduled (SDD) date; DEL is ignored."""
    by_type: dict[str, str] = {}
    for index, entry in enumerate(_list(package, "deliveryDate", f"{path}.deliveryDate")):
        if not isinstance(entry, dict):
            raise PayloadError(f"{path}.deliveryDate[{index}]", "expected an object")
        kind, day = _text(entry.get("type")), _text(entry.get("date"))
        if kind and day:
            by_type.setdefault(kind.upper(), day)
    for kind in ESTIMATE_TYPES:
        if kind in by_type:
            date = combine_local(by_type[kind], None, f"{path}.deliveryDate[type={kind}].date").date()
            return EstimatedDelivery(
                date=date, source=EstimateSource.CARRIER, source_field=f"deliveryDate[type={kind}]"
            )
    return None


# --- shared by both shapes ---------------------------------------------------------------------


def _event(
    tracking_number: str,
    activity: dict[str, Any],
    when: ResolvedTime,
    location: Location | None,
    status: TrackingStatus,
    reason: ExceptionReason | None,
    *,
    estimate: EstimatedDelivery | None,
    raw_service: str | None = None,
    signed_by: str | None = None,
) -> TrackingUpdated:
    return TrackingUpdated(
        source=SLUG,
        carrier=SLUG,
        tracking_number=tracking_number,
        status=status,
        exception_reason=reason,
        raw_status_code=_text(activity.get("code")) or _text(activity.get("type")),
        description=_text(activity.get("description")),
        location=location,
        estimated_delivery=estimate,
        service_level=service_level(raw_service),
        raw_service=raw_service,
        signed_by=signed_by,
        **when.as_fields(),
    )


def _status(activity: dict[str, Any], delivered: bool) -> tuple[TrackingStatus, ExceptionReason | None]:
    """Code first, then type; an unrecognised type D is delivered only with an actual delivery date."""
    code = (_text(activity.get("code")) or "").upper()
    kind = (_text(activity.get("type")) or "").upper()
    if code in statuses.BY_CODE:
        return statuses.BY_CODE[code]
    if kind == "D":
        return statuses.TYPE_D_DELIVERED if delivered else statuses.TYPE_D_NOT_DELIVERED
    status, reason = statuses.BY_TYPE.get(kind, (TrackingStatus.UNKNOWN, None))
    return _refine(status, reason, _text(activity.get("description")))


def _refine(
    status: TrackingStatus, reason: ExceptionReason | None, description: str | None
) -> tuple[TrackingStatus, ExceptionReason | None]:
    if status not in statuses.REFINABLE or not description:
        return status, reason
    text = description.lower()
    for phrase, refined_status, refined_reason in statuses.DESCRIPTION_RULES:
        if phrase in text:
            return (refined_status if status is TrackingStatus.EXCEPTION else status), refined_reason
    return status, reason


def _scan_time(
    local: tuple[Any, Any],
    gmt: tuple[Any, Any],
    offset_text: Any,
    location: Location | None,
    fields: tuple[str, str],
) -> ResolvedTime:
    """Local wall clock + offset when UPS gives them; the GMT pair fills in a missing offset."""
    field, offset_field = fields
    local_day, gmt_day = _text(local[0]), _text(gmt[0])
    if not local_day:
        if not gmt_day:
            raise PayloadError(field, "field required")
        return from_utc(combine_local(gmt_day, _text(gmt[1]), field))
    wall = combine_local(local_day, _text(local[1]), field)
    offset = _offset(_text(offset_text), offset_field)
    if offset is None and gmt_day:
        offset = _rounded_offset(wall - combine_local(gmt_day, _text(gmt[1]), field))
    if offset is None:
        return from_local(wall, location)
    return from_aware(wall.replace(tzinfo=timezone(offset)))


def _offset(text: str | None, field: str) -> timedelta | None:
    """Parse UPS's `(+/-)HH.MM` (Track Alert) or `-05:00` (Track API)."""
    if not text:
        return None
    match = OFFSET.match(text)
    if not match or int(match[2]) > 14 or int(match[3]) >= 60:
        raise PayloadError(field, f"not a (+/-)HH.MM offset: {text!r}")
    minutes = int(match[2]) * 60 + int(match[3])
    return timedelta(minutes=-minutes if match[1] == "-" else minutes)


def _rounded_offset(difference: timedelta) -> timedelta:
    """Local minus GMT, to the nearest quarter hour (real offsets are multiples of 15 minutes)."""
    quarters = round(difference.total_seconds() / 900)
    return timedelta(minutes=15 * quarters)


def _location(address: dict[str, Any] | None) -> Location | None:
    if not address:
        return None
    location = Location(
        city=_text(address.get("city")),
        region=_text(address.get("stateProvince")),
        postal_code=_text(address.get("postalCode")),
        country=_text(address.get("country")) or _text(address.get("countryCode")),
    )
    return location if any(location.model_dump().values()) else None


def _text(value: Any) -> str | None:
    """A stripped string, or None for blanks (UPS sends "" for fields it has not filled yet)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required_text(container: dict[str, Any], key: str, field: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(field, "field required (a non-empty string)")
    return value.strip()


def _object(container: dict[str, Any], key: str, field: str) -> dict[str, Any] | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PayloadError(field, "expected an object")
    return value


def _required_object(container: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    value = _object(container, key, field)
    if value is None:
        raise PayloadError(field, "field required")
    return value


def _list(container: dict[str, Any], key: str, field: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(field, "expected a list")
    return value
