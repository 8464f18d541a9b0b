"""EasyPost `Event` → one TrackingUpdated per scan of the Tracker's history (reference §1.1).

Pure: no I/O, no clock. `tracker.created` / `tracker.updated` carry a full `Tracker`; every
entry of `tracking_details` is one scan, and the tracker-wide facts (estimate, service,
carrier) apply to each. Other event kinds (batch, claim, insurance, …) carry no tracking and
come back with no events so the adapter can acknowledge them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from services.carrier_adapter.carriers.base import (
    Normalized,
    PayloadError,
    ShipmentFacts,
    WebhookRequest,
    unique_scans,
)
from services.carrier_adapter.carriers.easypost.services import service_level
from services.carrier_adapter.carriers.easypost.statuses import classify
from services.carrier_adapter.normalize.fields import address_location, as_object, get_list, get_text, load_object
from services.carrier_adapter.normalize.times import ResolvedTime, from_aware, from_local, from_utc, parse_iso
from services.carrier_adapter.normalize.zones import zone_for_location
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import EstimateSource, TrackingStatus

SLUG = "easypost"
TRACKER_EVENTS = frozenset({"tracker.created", "tracker.updated"})

# EasyPost carrier names (squashed) → our carrier slugs; anything else keeps its squashed name.
CARRIERS: dict[str, str] = {
    "usps": "usps",
    "ups": "ups",
    "upsdap": "ups",
    "upsmailinnovations": "ups",
    "fedex": "fedex",
    "fedexdefault": "fedex",
    "fedexsmartpost": "fedex",
    "dhlexpress": "dhl",
    "dhlecommerce": "dhl",
    "dhlecommercesolutions": "dhl",
    "dhlglobalmail": "dhl",
    "canadapost": "canada_post",
}


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    event_id = get_text(document, "id", "id")
    kind = get_text(document, "description", "description", required=True)
    if kind not in TRACKER_EVENTS:
        return Normalized(events=[], delivery_id=event_id, kind=kind)
    tracker = as_object(document.get("result"), "result")
    shipment = _shipment(tracker)
    details = get_list(tracker, "tracking_details", "result.tracking_details")
    events = [_scan(shipment, item, f"result.tracking_details[{index}]") for index, item in enumerate(details)]
    if not events:
        events = [_snapshot(shipment, tracker)]
    return Normalized(events=unique_scans(events), delivery_id=event_id)


def _carrier_slug(name: str) -> str:
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    return CARRIERS.get(squashed, squashed)


def _shipment(tracker: dict[str, Any]) -> ShipmentFacts:
    carrier = _carrier_slug(get_text(tracker, "carrier", "result.carrier", required=True))
    detail = as_object(tracker.get("carrier_detail") or {}, "result.carrier_detail")
    raw_service = get_text(detail, "service", "result.carrier_detail.service")
    return ShipmentFacts(
        carrier=carrier,
        tracking_number=get_text(tracker, "tracking_code", "result.tracking_code", required=True),
        estimate=_estimate(tracker, detail),
        service_level=service_level(carrier, raw_service),
        raw_service=raw_service,
        signed_by=get_text(tracker, "signed_by", "result.signed_by"),
    )


def _estimate(tracker: dict[str, Any], detail: dict[str, Any]) -> EstimatedDelivery | None:
    """The carrier's estimated delivery date; the local date is preferred (reference §1.1)."""
    local = get_text(detail, "est_delivery_date_local", "result.carrier_detail.est_delivery_date_local")
    if local is not None:
        field = "result.carrier_detail.est_delivery_date_local"
        return EstimatedDelivery(date=_date(local, field), source=EstimateSource.CARRIER, source_field=field)
    stamped = get_text(tracker, "est_delivery_date", "result.est_delivery_date")
    if stamped is not None:
        # EasyPost writes a date as midnight `Z`; its calendar date is the estimate, not an instant.
        field = "result.est_delivery_date"
        day = parse_iso(stamped, field).date()
        return EstimatedDelivery(date=day, source=EstimateSource.CARRIER, source_field=field)
    return None


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise PayloadError(field, f"not a date: {value!r}") from exc


def _event_time(value: str, field: str, location: Location | None) -> ResolvedTime:
    """EasyPost's `datetime` is local wall-clock time despite its trailing `Z`.

    Reference §1.1 / §0.4 (EasyPost trackers doc): "When enough location information is present,
    EasyPost assigns the appropriate local time zone to the event's datetime. When location
    information is incomplete, timestamps default to UTC", yet every sample ends in `Z`. So a `Z`
    with a scan location we can place in a zone is read as local time there; a `Z` without one is
    the documented UTC default; a real non-zero offset is trusted as given.
    """
    moment = parse_iso(value, field)
    if moment.tzinfo is None:
        return from_local(moment, location)
    if moment.utcoffset() != timedelta(0):
        return from_aware(moment)
    zone, _ = zone_for_location(location)
    if zone is None:
        return from_utc(moment)
    return from_local(moment.replace(tzinfo=None), location)


def _raw_code(status: str | None, detail: str | None) -> str | None:
    """EasyPost's own code, verbatim: `status/status_detail`."""
    return "/".join(part for part in (status, detail) if part) or None


def _scan(shipment: ShipmentFacts, item: Any, path: str) -> TrackingUpdated:
    detail = as_object(item, path)
    location = address_location(detail.get("tracking_location"), f"{path}.tracking_location")
    when = _event_time(get_text(detail, "datetime", f"{path}.datetime", required=True), f"{path}.datetime", location)
    raw_status = get_text(detail, "status", f"{path}.status")
    raw_detail = get_text(detail, "status_detail", f"{path}.status_detail")
    description = get_text(detail, "message", f"{path}.message")
    return _event(shipment, raw_status, raw_detail, description, when, location, path)


def _snapshot(shipment: ShipmentFacts, tracker: dict[str, Any]) -> TrackingUpdated:
    """A tracker with no scans yet still reports a status; `updated_at` is EasyPost's UTC clock."""
    stamp = get_text(tracker, "updated_at", "result.updated_at", required=True)
    when = from_utc(parse_iso(stamp, "result.updated_at"))
    raw_status = get_text(tracker, "status", "result.status")
    raw_detail = get_text(tracker, "status_detail", "result.status_detail")
    return _event(shipment, raw_status, raw_detail, None, when, None, "result")


def _event(
    shipment: ShipmentFacts,
    raw_status: str | None,
    raw_detail: str | None,
    description: str | None,
    when: ResolvedTime,
    location: Location | None,
    path: str,
) -> TrackingUpdated:
    status, reason = classify(raw_status, raw_detail)
    try:
        return TrackingUpdated(
            source=SLUG,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            status=status,
            exception_reason=reason,
            raw_status_code=_raw_code(raw_status, raw_detail),
            description=description,
            location=location,
            estimated_delivery=shipment.estimate,
            service_level=shipment.service_level,
            raw_service=shipment.raw_service,
            signed_by=shipment.signed_by if status is TrackingStatus.DELIVERED else None,
            **when.as_fields(),
        )
    except ValidationError as exc:
        raise PayloadError(path, exc.errors()[0]["msg"]) from exc
