"""DHL Shipment Tracking Unified pushes → canonical tracking events. Pure: no I/O, no clock.

Shape (carriers.md §7.1): `shipments[]`, each with `id`, `status`, `events[]` (the complete
history, same shape as `status`), estimates and `details.product.productName`; one event per
entry of `events[]`. A shipment without events contributes its `status` as its one scan.

Times are often naive local wall clock: the zone is resolved from the event location
(`normalize.times`) and marked assumed when the location cannot pin it down. DHL gives no
per-scan id.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.carriers.dhl import statuses
from services.carrier_adapter.carriers.dhl.services import service_level
from services.carrier_adapter.normalize.estimates import carrier_estimate
from services.carrier_adapter.normalize.fields import as_object, clean_text, get_list, get_object, load_object
from services.carrier_adapter.normalize.times import from_local, parse_iso, resolve
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import ExceptionReason, TrackingStatus

SLUG = "dhl"
# A locality may carry a hub prefix and a region, e.g. "CINCINNATI HUB - HEBRON, KY - USA" → HEBRON, KY.
LOCALITY = re.compile(r"^(?:.* - )?(?P<city>[^,]+?),\s*(?P<region>[A-Z]{2})\b")
REGION_COUNTRIES = frozenset({"US", "CA"})


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    shipments = document.get("shipments")
    if not isinstance(shipments, list):
        raise PayloadError("shipments", "field required (a list)")
    events: list[TrackingUpdated] = []
    for index, shipment in enumerate(shipments):
        events.extend(_shipment_events(shipment, f"shipments[{index}]"))
    return Normalized(events=events)


def _shipment_events(shipment: Any, path: str) -> list[TrackingUpdated]:
    shipment = as_object(shipment, path)
    tracking_number = clean_text(shipment.get("id"))
    if not tracking_number:
        raise PayloadError(f"{path}.id", "field required")
    scans = [
        (f"{path}.events[{index}]", scan) for index, scan in enumerate(get_list(shipment, "events", f"{path}.events"))
    ]
    if not scans and isinstance(shipment.get("status"), dict):
        scans = [(f"{path}.status", shipment["status"])]
    product_name = _product_name(shipment, path)
    shared = {
        "tracking_number": tracking_number,
        "estimated_delivery": _estimate(shipment, path),
        "service_level": service_level(product_name),
        "raw_service": product_name,
    }
    return [_scan_event(scan, scan_path, shared) for scan_path, scan in scans]


def _product_name(shipment: dict[str, Any], path: str) -> str | None:
    details = get_object(shipment, "details", f"{path}.details") or {}
    product = get_object(details, "product", f"{path}.details.product") or {}
    return clean_text(product.get("productName"))


def _scan_event(scan: Any, path: str, shared: dict[str, Any]) -> TrackingUpdated:
    scan = as_object(scan, path)
    timestamp = clean_text(scan.get("timestamp"))
    if not timestamp:
        raise PayloadError(f"{path}.timestamp", "field required")
    location = _location(get_object(scan, "location", f"{path}.location"), f"{path}.location")
    when = resolve(timestamp, f"{path}.timestamp", location)
    code = clean_text(scan.get("statusCode"))
    status, reason = _status(code, _event_text(scan))
    return TrackingUpdated(
        source=SLUG,
        carrier=SLUG,
        status=status,
        exception_reason=reason,
        raw_status_code=code,
        description=clean_text(scan.get("description")) or clean_text(scan.get("status")),
        location=location,
        **shared,
        **when.as_fields(),
    )


def _status(code: str | None, text: str) -> tuple[TrackingStatus, ExceptionReason | None]:
    key = (code or "").lower()
    status, reason = statuses.BY_STATUS_CODE.get(key, (TrackingStatus.UNKNOWN, None))
    for phrase, refined_status, refined_reason in statuses.DESCRIPTION_RULES.get(key, ()):
        if phrase in text:
            return refined_status, refined_reason
    return status, reason


def _event_text(scan: dict[str, Any]) -> str:
    parts = (clean_text(scan.get(key)) for key in ("status", "description", "remark"))
    return " | ".join(part for part in parts if part).lower()


def _estimate(shipment: dict[str, Any], path: str) -> EstimatedDelivery | None:
    """The delivery time frame, else the single estimated time; naive times are read at the destination."""
    destination = _location(get_object(shipment, "destination", f"{path}.destination"), f"{path}.destination")
    frame_path = f"{path}.estimatedDeliveryTimeFrame"
    frame = get_object(shipment, "estimatedDeliveryTimeFrame", frame_path) or {}
    through, start = clean_text(frame.get("estimatedThrough")), clean_text(frame.get("estimatedFrom"))
    if through:
        end_at = _instant(through, f"{frame_path}.estimatedThrough", destination)
        start_at = _instant(start, f"{frame_path}.estimatedFrom", destination) if start else None
        return carrier_estimate(start_at, end_at, "estimatedDeliveryTimeFrame")
    single = clean_text(shipment.get("estimatedTimeOfDelivery"))
    if single:
        end_at = _instant(single, f"{path}.estimatedTimeOfDelivery", destination)
        return carrier_estimate(None, end_at, "estimatedTimeOfDelivery")
    return None


def _instant(text: str, field: str, destination: Location | None) -> datetime:
    """Aware as given; a naive time is made aware only when the destination's zone is certain."""
    moment = parse_iso(text, field)
    if moment.tzinfo is not None:
        return moment
    resolved = from_local(moment, destination)
    if resolved.assumed or resolved.time_zone is None:
        return moment  # stays naive: only its date will be used
    return moment.replace(tzinfo=ZoneInfo(resolved.time_zone))


def _location(holder: dict[str, Any] | None, path: str) -> Location | None:
    """`{address: {countryCode, postalCode, addressLocality}}` → Location, reading a US/CA region from the locality."""
    address = get_object(holder or {}, "address", f"{path}.address")
    if not address:
        return None
    country = clean_text(address.get("countryCode"))
    city, region = _split_locality(clean_text(address.get("addressLocality")), country)
    location = Location(city=city, region=region, postal_code=clean_text(address.get("postalCode")), country=country)
    return location if any(location.model_dump().values()) else None


def _split_locality(locality: str | None, country: str | None) -> tuple[str | None, str | None]:
    if not locality:
        return None, None
    match = LOCALITY.match(locality)
    if match and (country or "").upper() in REGION_COUNTRIES | {""}:
        return match["city"].strip(), match["region"]
    return locality.split(",")[0].split(" - ")[0].strip() or None, None
