"""Shippo `track_updated` → one TrackingUpdated per entry of the tracking history (reference §2.1).

Pure: no I/O, no clock. `data.tracking_history` holds every scan (earliest first) and
`data.tracking_status` the latest; they overlap, so scans are merged on Shippo's per-scan
`object_id`. The envelope has no event id (delivery_id None: the adapter derives one per scan).
Other event kinds (transaction_*, batch_*) carry no tracking and come back with no events.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from services.carrier_adapter.carriers.base import (
    Normalized,
    PayloadError,
    ShipmentFacts,
    WebhookRequest,
    unique_scans,
)
from services.carrier_adapter.carriers.shippo.services import service_level
from services.carrier_adapter.carriers.shippo.statuses import classify
from services.carrier_adapter.normalize.fields import address_location, as_object, get_list, get_text, load_object
from services.carrier_adapter.normalize.times import ResolvedTime, from_aware, from_utc, parse_iso
from services.common.contracts.tracking import EstimatedDelivery, TrackingUpdated
from services.common.vocab import EstimateSource

SLUG = "shippo"
TRACKING_EVENTS = frozenset({"track_updated"})

# Shippo carrier tokens → our carrier slugs; anything else keeps its token.
CARRIERS: dict[str, str] = {
    "usps": "usps",
    "ups": "ups",
    "fedex": "fedex",
    "dhl_express": "dhl",
    "dhl_ecommerce": "dhl",
    "dhl_germany": "dhl",
    "canada_post": "canada_post",
}


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    kind = get_text(document, "event", "event", required=True)
    if kind not in TRACKING_EVENTS:
        return Normalized(events=[], delivery_id=None, kind=kind)
    track = as_object(document.get("data"), "data")
    shipment = _shipment(track)
    history = get_list(track, "tracking_history", "data.tracking_history")
    scans = [(item, f"data.tracking_history[{index}]") for index, item in enumerate(history)]
    if track.get("tracking_status"):
        scans.append((track["tracking_status"], "data.tracking_status"))
    events = [_scan(shipment, item, path) for item, path in scans]
    return Normalized(events=unique_scans(events), delivery_id=None)


def _shipment(track: dict[str, Any]) -> ShipmentFacts:
    carrier = get_text(track, "carrier", "data.carrier", required=True).lower()
    level = as_object(track.get("servicelevel") or {}, "data.servicelevel")
    token = get_text(level, "token", "data.servicelevel.token")
    return ShipmentFacts(
        carrier=CARRIERS.get(carrier, carrier),
        tracking_number=get_text(track, "tracking_number", "data.tracking_number", required=True),
        estimate=_estimate(track),
        service_level=service_level(token),
        raw_service=token or get_text(level, "name", "data.servicelevel.name"),
    )


def _estimate(track: dict[str, Any]) -> EstimatedDelivery | None:
    """The carrier's ETA as Shippo passes it through (`eta` is "according to the carrier")."""
    eta = get_text(track, "eta", "data.eta")
    if eta is None:
        return None
    moment = _utc(parse_iso(eta, "data.eta"))
    if moment.time() == time(0, 0):
        # Midnight UTC is how a date-only estimate is written, not a promise of 00:00.
        return EstimatedDelivery(date=moment.date(), source=EstimateSource.CARRIER, source_field="data.eta")
    return EstimatedDelivery(window_end=moment, source=EstimateSource.CARRIER, source_field="data.eta")


def _utc(moment: datetime) -> datetime:
    return from_utc(moment).utc


def _event_time(status: dict[str, Any], path: str) -> ResolvedTime:
    """`status_date` is documented as UTC (reference §2.1, §0.4); a naive value is UTC too.

    A value with a real offset is kept as given. When Shippo leaves `status_date` empty (it does for
    UNKNOWN), `object_updated`, Shippo's own UTC clock, is the best time we have.
    """
    key = "status_date" if status.get("status_date") else "object_updated"
    field = f"{path}.{key}"
    moment = parse_iso(get_text(status, key, f"{path}.status_date", required=True), field)
    offset = moment.utcoffset()
    if offset is not None and offset != timedelta(0):
        return from_aware(moment)
    return from_utc(moment)


def _raw_code(status: str | None, substatus: str | None) -> str | None:
    """Shippo's own code, verbatim: `status/substatus.code`."""
    return "/".join(part for part in (status, substatus) if part) or None


def _scan(shipment: ShipmentFacts, item: Any, path: str) -> TrackingUpdated:
    scan = as_object(item, path)
    raw_status = get_text(scan, "status", f"{path}.status")
    substatus = as_object(scan.get("substatus") or {}, f"{path}.substatus")
    raw_substatus = get_text(substatus, "code", f"{path}.substatus.code")
    status, reason = classify(raw_status, raw_substatus)
    try:
        return TrackingUpdated(
            source=SLUG,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            status=status,
            exception_reason=reason,
            raw_status_code=_raw_code(raw_status, raw_substatus),
            description=get_text(scan, "status_details", f"{path}.status_details"),
            location=address_location(scan.get("location"), f"{path}.location"),
            estimated_delivery=shipment.estimate,
            service_level=shipment.service_level,
            raw_service=shipment.raw_service,
            source_event_id=get_text(scan, "object_id", f"{path}.object_id"),
            **_event_time(scan, path).as_fields(),
        )
    except ValidationError as exc:
        raise PayloadError(path, exc.errors()[0]["msg"]) from exc
