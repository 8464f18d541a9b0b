"""AfterShip webhook → one TrackingUpdated per checkpoint of the tracking (reference §3.1).

Pure: no I/O, no clock. `tracking_update` and `edd_revise` both carry the whole `Tracking`
(`msg`): every checkpoint is one scan and the tracking-wide facts (estimate, service) apply to
each, so an estimate revision reaches the consumer on every scan it already knows. A tracking with
no checkpoints yet still has a status: it becomes one event at `ts` (when AfterShip says the
event occurred, UTC). Other event kinds carry no tracking and come back with no events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from services.carrier_adapter.carriers.aftership.services import service_level
from services.carrier_adapter.carriers.aftership.statuses import classify
from services.carrier_adapter.carriers.base import (
    Normalized,
    PayloadError,
    ShipmentFacts,
    WebhookRequest,
    unique_scans,
)
from services.carrier_adapter.normalize.fields import as_object, get_list, get_text, load_object
from services.carrier_adapter.normalize.times import ResolvedTime, from_utc, parse_iso, resolve
from services.common.contracts.tracking import EstimatedDelivery, Location, TrackingUpdated
from services.common.vocab import EstimateSource, TrackingStatus

SLUG = "aftership"
TRACKING_EVENTS = frozenset({"tracking_update", "edd_revise"})

# AfterShip courier slugs → our carrier slugs; anything else keeps its slug.
CARRIERS: dict[str, str] = {
    "fedex": "fedex",
    "ups": "ups",
    "usps": "usps",
    "dhl": "dhl",
    "dhl-global-mail": "dhl",
    "dhl-ecommerce": "dhl",
    "dhl-germany": "dhl",
    "canada-post": "canada_post",
}

# Checkpoints name the country by ISO 3166 alpha-3 (`country_region`); the zone table speaks alpha-2.
COUNTRIES: dict[str, str] = {
    "USA": "US", "CAN": "CA", "MEX": "MX", "GBR": "GB", "IRL": "IE", "DEU": "DE", "FRA": "FR",
    "NLD": "NL", "BEL": "BE", "LUX": "LU", "ITA": "IT", "ESP": "ES", "PRT": "PT", "AUT": "AT",
    "CHE": "CH", "DNK": "DK", "SWE": "SE", "NOR": "NO", "FIN": "FI", "POL": "PL", "CZE": "CZ",
    "JPN": "JP", "KOR": "KR", "CHN": "CN", "HKG": "HK", "TWN": "TW", "SGP": "SG", "IND": "IN",
    "ARE": "AE", "AUS": "AU", "NZL": "NZ", "BRA": "BR",
}  # fmt: skip

# Which estimates `latest_estimated_delivery.source` names; merchant-set dates (Custom EDD,
# order promise) are our own promise echoed back, not an estimate, so they are not listed.
LATEST_SOURCES: dict[str, EstimateSource] = {
    "carrier edd": EstimateSource.CARRIER,
    "aftership edd": EstimateSource.AGGREGATOR,
}


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = load_object(request.body)
    event_id = get_text(document, "event_id", "event_id")
    kind = get_text(document, "event", "event", required=True)
    if kind not in TRACKING_EVENTS:
        return Normalized(events=[], delivery_id=event_id, kind=kind)
    tracking = as_object(document.get("msg"), "msg")
    shipment = _shipment(tracking)
    checkpoints = get_list(tracking, "checkpoints", "msg.checkpoints")
    events = [_checkpoint(shipment, item, f"msg.checkpoints[{index}]") for index, item in enumerate(checkpoints)]
    if not events:
        events = [_snapshot(shipment, tracking, document)]
    return Normalized(events=unique_scans(events), delivery_id=event_id)


def _shipment(tracking: dict[str, Any]) -> ShipmentFacts:
    slug = get_text(tracking, "slug", "msg.slug", required=True).lower()
    raw_service = get_text(tracking, "shipment_type", "msg.shipment_type")
    return ShipmentFacts(
        carrier=CARRIERS.get(slug, slug),
        tracking_number=get_text(tracking, "tracking_number", "msg.tracking_number", required=True),
        estimate=_estimate(tracking),
        service_level=service_level(raw_service),
        raw_service=raw_service,
        signed_by=get_text(tracking, "signed_by", "msg.signed_by"),
    )


def _estimate(tracking: dict[str, Any]) -> EstimatedDelivery | None:
    """The carrier's own estimate first, then AfterShip's latest, then AfterShip's prediction."""
    courier = ("estimated_delivery_date", "estimated_delivery_date_min", "estimated_delivery_date_max")
    return (
        _window(tracking, "courier_estimated_delivery_date", courier, EstimateSource.CARRIER)
        or _latest_estimate(tracking)
        or _window(tracking, "aftership_estimated_delivery_date", courier, EstimateSource.AGGREGATOR)
    )


def _latest_estimate(tracking: dict[str, Any]) -> EstimatedDelivery | None:
    block = tracking.get("latest_estimated_delivery")
    if not isinstance(block, dict):
        return None
    source = LATEST_SOURCES.get(str(block.get("source") or "").lower())
    if source is None:
        return None
    return _window(tracking, "latest_estimated_delivery", ("datetime", "datetime_min", "datetime_max"), source)


def _window(
    tracking: dict[str, Any], key: str, names: tuple[str, str, str], source: EstimateSource
) -> EstimatedDelivery | None:
    """An EDD block → estimate. EDDs are in the recipient's zone (§3.1), so the written date is the
    local delivery date; only values that carry an offset also become instants of a window."""
    block = tracking.get(key)
    if not isinstance(block, dict):
        return None
    path = f"msg.{key}"
    value, low, high = (get_text(block, name, f"{path}.{name}") for name in names)
    end_name = names[0] if value else names[2]
    end_text = value or high
    if end_text is None:
        return None
    end = parse_iso(end_text, f"{path}.{end_name}")
    window_end = parse_iso(high, f"{path}.{names[2]}") if high else end
    window_start = parse_iso(low, f"{path}.{names[1]}") if low else None
    aware = window_end.tzinfo is not None
    return EstimatedDelivery(
        date=end.date(),
        window_start=window_start if aware and window_start and window_start.tzinfo else None,
        window_end=window_end if aware else None,
        source=source,
        source_field=f"{path}.{end_name}",
    )


def _location(checkpoint: dict[str, Any], path: str) -> Location | None:
    country = get_text(checkpoint, "country_region", f"{path}.country_region")
    location = Location(
        city=get_text(checkpoint, "city", f"{path}.city"),
        region=get_text(checkpoint, "state", f"{path}.state"),
        # `zip` was renamed `postal_code` in 2026-01 (§3.1); older webhook versions still send `zip`.
        postal_code=(
            get_text(checkpoint, "postal_code", f"{path}.postal_code") or get_text(checkpoint, "zip", f"{path}.zip")
        ),
        country=COUNTRIES.get(country.upper(), country) if country else None,
    )
    return location if any(location.model_dump().values()) else None


def _checkpoint(shipment: ShipmentFacts, item: Any, path: str) -> TrackingUpdated:
    checkpoint = as_object(item, path)
    location = _location(checkpoint, path)
    # `checkpoint_time` is checkpoint-local and may lack an offset (§3.1, §0.4): keep a given
    # offset; resolve a naive time in the checkpoint's zone, or mark it assumed.
    field = f"{path}.checkpoint_time"
    when = resolve(get_text(checkpoint, "checkpoint_time", field, required=True), field, location)
    return _event(
        shipment,
        checkpoint,
        path,
        when,
        location,
        description=get_text(checkpoint, "message", f"{path}.message"),
        source_event_id=get_text(checkpoint, "hash", f"{path}.hash"),
    )


def _snapshot(shipment: ShipmentFacts, tracking: dict[str, Any], document: dict[str, Any]) -> TrackingUpdated:
    ts = document.get("ts")
    if not isinstance(ts, int) or isinstance(ts, bool):
        raise PayloadError("ts", "expected a unix time in seconds")
    try:
        when = from_utc(datetime.fromtimestamp(ts, UTC))
    except (OverflowError, OSError, ValueError):
        raise PayloadError("ts", f"{ts} is not a unix time in seconds") from None
    description = get_text(tracking, "subtag_message", "msg.subtag_message")
    return _event(shipment, tracking, "msg", when, None, description=description, source_event_id=None)


def _event(
    shipment: ShipmentFacts,
    tagged: dict[str, Any],
    path: str,
    when: ResolvedTime,
    location: Location | None,
    *,
    description: str | None,
    source_event_id: str | None,
) -> TrackingUpdated:
    tag = get_text(tagged, "tag", f"{path}.tag")
    subtag = get_text(tagged, "subtag", f"{path}.subtag")
    subtag_message = get_text(tagged, "subtag_message", f"{path}.subtag_message")
    status, reason = classify(tag, subtag, subtag_message, description)
    try:
        return TrackingUpdated(
            source=SLUG,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            status=status,
            exception_reason=reason,
            raw_status_code=subtag or tag,
            description=description,
            location=location,
            estimated_delivery=shipment.estimate,
            service_level=shipment.service_level,
            raw_service=shipment.raw_service,
            source_event_id=source_event_id,
            signed_by=shipment.signed_by if status is TrackingStatus.DELIVERED else None,
            **when.as_fields(),
        )
    except ValidationError as exc:
        raise PayloadError(path, exc.errors()[0]["msg"]) from exc
