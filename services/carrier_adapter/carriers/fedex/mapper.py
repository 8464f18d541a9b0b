"""FedEx webhook bodies (Track API `output`) → canonical tracking events. Pure: no I/O, no clock.

Shape (carriers.md §5.1): `output.completeTrackResults[].trackResults[].scanEvents[]`; one event
per scan. FedEx delivers out of order and repeats milestones (§5.3); each scan keeps its own ISO
time (with offset), so the consumer can order by event time. No per-scan id exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.carriers.fedex import statuses
from services.carrier_adapter.carriers.fedex.services import service_level
from services.carrier_adapter.normalize.estimates import carrier_estimate
from services.carrier_adapter.normalize.fields import as_object, clean_text, get_list, get_object, load_object
from services.carrier_adapter.normalize.times import parse_iso, resolve
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import ExceptionReason, TrackingStatus

SLUG = "fedex"
# dateAndTimes types that are the carrier's estimate, best first.
ESTIMATE_DATE_TYPES = ("ESTIMATED_DELIVERY",)


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    output = get_object(document, "output", "output", required=True)
    events: list[TrackingUpdated] = []
    for c_index, complete in enumerate(get_list(output, "completeTrackResults", "output.completeTrackResults")):
        path = f"output.completeTrackResults[{c_index}]"
        complete = as_object(complete, path)
        for r_index, result in enumerate(get_list(complete, "trackResults", f"{path}.trackResults")):
            events.extend(_result_events(complete, result, f"{path}.trackResults[{r_index}]"))
    return Normalized(events=events)


def _result_events(complete: dict[str, Any], result: Any, path: str) -> list[TrackingUpdated]:
    result = as_object(result, path)
    scans = get_list(result, "scanEvents", f"{path}.scanEvents")
    if not scans:
        return []
    number_info = get_object(result, "trackingNumberInfo", f"{path}.trackingNumberInfo") or {}
    tracking_number = clean_text(number_info.get("trackingNumber")) or clean_text(complete.get("trackingNumber"))
    if not tracking_number:
        raise PayloadError(f"{path}.trackingNumberInfo.trackingNumber", "field required")
    shared = {
        "tracking_number": tracking_number,
        "estimated_delivery": _estimate(result, path),
        **_service(result, path),
    }
    delivery = get_object(result, "deliveryDetails", f"{path}.deliveryDetails") or {}
    signed_by = clean_text(delivery.get("receivedByName"))
    return [_scan_event(scan, f"{path}.scanEvents[{index}]", shared, signed_by) for index, scan in enumerate(scans)]


def _scan_event(scan: Any, path: str, shared: dict[str, Any], signed_by: str | None) -> TrackingUpdated:
    scan = as_object(scan, path)
    date_text = clean_text(scan.get("date"))
    if not date_text:
        raise PayloadError(f"{path}.date", "field required")
    location = _location(get_object(scan, "scanLocation", f"{path}.scanLocation"))
    # FedEx documents an offset on every scan; a naive one is resolved at the scan location.
    when = resolve(date_text, f"{path}.date", location)
    code = clean_text(scan.get("eventType")) or clean_text(scan.get("derivedStatusCode"))
    status, reason = _status(code, _descriptions(scan))
    return TrackingUpdated(
        source=SLUG,
        carrier=SLUG,
        status=status,
        exception_reason=reason,
        raw_status_code=code,
        description=_description(scan),
        location=location,
        signed_by=signed_by if status is TrackingStatus.DELIVERED else None,
        **shared,
        **when.as_fields(),
    )


def _status(code: str | None, text: str) -> tuple[TrackingStatus, ExceptionReason | None]:
    status, reason = statuses.BY_EVENT_TYPE.get((code or "").upper(), (TrackingStatus.UNKNOWN, None))
    if status not in statuses.REFINABLE or reason not in statuses.GENERIC_REASONS:
        return status, reason
    for phrase, refined_status, refined_reason in statuses.DESCRIPTION_RULES:
        if phrase in text:
            return (refined_status if status is TrackingStatus.EXCEPTION else status), refined_reason
    return status, reason


def _descriptions(scan: dict[str, Any]) -> str:
    """The exception text first (it names the cause), then the event text; lower case."""
    parts = (clean_text(scan.get("exceptionDescription")), clean_text(scan.get("eventDescription")))
    return " | ".join(part for part in parts if part).lower()


def _description(scan: dict[str, Any]) -> str | None:
    event, exception = clean_text(scan.get("eventDescription")), clean_text(scan.get("exceptionDescription"))
    if event and exception:
        return f"{event}: {exception}"
    return event or exception


def _service(result: dict[str, Any], path: str) -> dict[str, Any]:
    detail = get_object(result, "serviceDetail", f"{path}.serviceDetail") or {}
    raw = clean_text(detail.get("type")) or clean_text(detail.get("description"))
    return {"service_level": service_level(raw), "raw_service": raw}


def _estimate(result: dict[str, Any], path: str) -> EstimatedDelivery | None:
    """The carrier's current estimate, best source first.

    `estimatedDeliveryTimeWindow` is FedEx's live estimate; `dateAndTimes[ESTIMATED_DELIVERY]`
    the same as one instant; `standardTransitTimeWindow` is only the service standard, so it
    comes last (karrio prefers it, §9.3).
    """
    return (
        _window_estimate(result, "estimatedDeliveryTimeWindow", path)
        or _dated_estimate(result, path)
        or _window_estimate(result, "standardTransitTimeWindow", path)
    )


def _window_estimate(result: dict[str, Any], field: str, path: str) -> EstimatedDelivery | None:
    window = (get_object(result, field, f"{path}.{field}") or {}).get("window")
    if not isinstance(window, dict):
        return None
    where = f"{path}.{field}.window"
    begins = parse_iso(str(window["begins"]), f"{where}.begins") if clean_text(window.get("begins")) else None
    ends = parse_iso(str(window["ends"]), f"{where}.ends") if clean_text(window.get("ends")) else None
    if ends is None:
        return carrier_estimate(None, begins, f"{field}.window.begins") if begins else None
    return carrier_estimate(begins, ends, f"{field}.window")


def _dated_estimate(result: dict[str, Any], path: str) -> EstimatedDelivery | None:
    for index, entry in enumerate(get_list(result, "dateAndTimes", f"{path}.dateAndTimes")):
        if isinstance(entry, dict) and entry.get("type") in ESTIMATE_DATE_TYPES and clean_text(entry.get("dateTime")):
            moment = parse_iso(str(entry["dateTime"]), f"{path}.dateAndTimes[{index}].dateTime")
            return carrier_estimate(None, moment, f"dateAndTimes[type={entry['type']}]")
    return None


def _location(scan_location: dict[str, Any] | None) -> Location | None:
    if not scan_location:
        return None
    location = Location(
        city=clean_text(scan_location.get("city")),
        region=clean_text(scan_location.get("stateOrProvinceCode")),
        postal_code=clean_text(scan_location.get("postalCode")),
        country=clean_text(scan_location.get("countryCode")),
    )
    return location if any(location.model_dump().values()) else None
