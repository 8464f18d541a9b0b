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

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.carriers.ups import statuses
from services.carrier_adapter.carriers.ups.services import service_level
from services.carrier_adapter.normalize.fields import (
    as_object,
    clean_text,
    get_list,
    get_nonblank_text,
    get_object,
    load_object,
)
from services.carrier_adapter.normalize.times import ResolvedTime, combine_local, from_aware, from_local, from_utc
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import EstimateSource, ExceptionReason, TrackingStatus

SLUG = "ups"
OFFSET = re.compile(r"^([+-])(\d{1,2})[.:]?(\d{2})$")
# Which deliveryDate types are estimates, best first: a rescheduled date supersedes the scheduled
# one. DEL is the date it was delivered, never an estimate (karrio's bug, §9.3).
ESTIMATE_TYPES = ("RDD", "SDD")


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    if "trackResponse" in document:
        return Normalized(events=_track_api_events(document))
    return Normalized(events=[_alert_event(document)])


# --- Track Alert -------------------------------------------------------------------------------


def _alert_event(document: dict[str, Any]) -> TrackingUpdated:
    tracking_number = get_nonblank_text(document, "trackingNumber", "trackingNumber")
    activity = get_object(document, "activityStatus", "activityStatus", required=True)
    location = _location(get_object(document, "activityLocation", "activityLocation"))
    when = _scan_time(
        (document.get("localActivityDate"), document.get("localActivityTime")),
        (document.get("gmtActivityDate"), document.get("gmtActivityTime")),
        document.get("gmtOffset"),
        location,
        ("localActivityDate", "gmtOffset"),
    )
    delivered = bool(clean_text(document.get("actualDeliveryDate")))
    status, reason = _status(activity, delivered)
    return _event(
        tracking_number,
        activity,
        when,
        location,
        status,
        reason,
        estimate=_alert_estimate(document, when),
        signed_by=clean_text(document.get("receivedBy")) if status is TrackingStatus.DELIVERED else None,
    )


def _alert_estimate(document: dict[str, Any], when: ResolvedTime) -> EstimatedDelivery | None:
    """`scheduledDeliveryDate` plus an optional window. `actualDeliveryDate` is not an estimate.

    UPS gives the window's wall clock without a zone; we read it at the reporting scan's offset,
    which is right for the in-area scans (out for delivery) that carry windows.
    """
    day = clean_text(document.get("scheduledDeliveryDate"))
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
    text = clean_text(clock)
    return combine_local(day, text, field).replace(tzinfo=zone) if text else None


# --- Track API ---------------------------------------------------------------------------------


def _track_api_events(document: dict[str, Any]) -> list[TrackingUpdated]:
    response = get_object(document, "trackResponse", "trackResponse", required=True)
    events: list[TrackingUpdated] = []
    for s_index, shipment in enumerate(get_list(response, "shipment", "trackResponse.shipment")):
        shipment_path = f"trackResponse.shipment[{s_index}]"
        shipment = as_object(shipment, shipment_path)
        for p_index, package in enumerate(get_list(shipment, "package", f"{shipment_path}.package")):
            events.extend(_package_events(package, f"{shipment_path}.package[{p_index}]"))
    return events


def _package_events(package: Any, path: str) -> list[TrackingUpdated]:
    package = as_object(package, path)
    tracking_number = get_nonblank_text(package, "trackingNumber", f"{path}.trackingNumber")
    estimate = _package_estimate(package, path)
    service = get_object(package, "service", f"{path}.service") or {}
    raw_service = clean_text(service.get("code"))
    events = []
    for index, activity in enumerate(get_list(package, "activity", f"{path}.activity")):
        events.append(_activity_event(tracking_number, activity, f"{path}.activity[{index}]", estimate, raw_service))
    return events


def _activity_event(
    tracking_number: str, activity: Any, path: str, estimate: EstimatedDelivery | None, raw_service: str | None
) -> TrackingUpdated:
    activity = as_object(activity, path)
    status_object = get_object(activity, "status", f"{path}.status", required=True)
    where = get_object(activity, "location", f"{path}.location") or {}
    location = _location(get_object(where, "address", f"{path}.location.address"))
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
    for index, entry in enumerate(get_list(package, "deliveryDate", f"{path}.deliveryDate")):
        entry = as_object(entry, f"{path}.deliveryDate[{index}]")
        kind, day = clean_text(entry.get("type")), clean_text(entry.get("date"))
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
        raw_status_code=clean_text(activity.get("code")) or clean_text(activity.get("type")),
        description=clean_text(activity.get("description")),
        location=location,
        estimated_delivery=estimate,
        service_level=service_level(raw_service),
        raw_service=raw_service,
        signed_by=signed_by,
        **when.as_fields(),
    )


def _status(activity: dict[str, Any], delivered: bool) -> tuple[TrackingStatus, ExceptionReason | None]:
    """Code first, then type; an unrecognised type D is delivered only with an actual delivery date."""
    code = (clean_text(activity.get("code")) or "").upper()
    kind = (clean_text(activity.get("type")) or "").upper()
    if code in statuses.BY_CODE:
        return statuses.BY_CODE[code]
    if kind == "D":
        return statuses.TYPE_D_DELIVERED if delivered else statuses.TYPE_D_NOT_DELIVERED
    status, reason = statuses.BY_TYPE.get(kind, (TrackingStatus.UNKNOWN, None))
    return _refine(status, reason, clean_text(activity.get("description")))


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
    local_day, gmt_day = clean_text(local[0]), clean_text(gmt[0])
    if not local_day:
        if not gmt_day:
            raise PayloadError(field, "field required")
        return from_utc(combine_local(gmt_day, clean_text(gmt[1]), field))
    wall = combine_local(local_day, clean_text(local[1]), field)
    offset = _offset(clean_text(offset_text), offset_field)
    if offset is None and gmt_day:
        offset = _rounded_offset(wall - combine_local(gmt_day, clean_text(gmt[1]), field))
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
        city=clean_text(address.get("city")),
        region=clean_text(address.get("stateProvince")),
        postal_code=clean_text(address.get("postalCode")),
        country=clean_text(address.get("country")) or clean_text(address.get("countryCode")),
    )
    return location if any(location.model_dump().values()) else None
