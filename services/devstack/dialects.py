"""How the demo feed says a carrier scan in each source's own webhook dialect.

A canonical `TrackingUpdated` (as the backtest simulator plans it) becomes the body a carrier
would post: a UPS Track Alert (carriers.md §4), a FedEx tracking webhook (§5), or, for carriers
that reach us through an aggregator, our generic Standard Webhooks event. The carrier adapter
then maps it back with its own mappers — the demo exercises the real intake, not a shortcut.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from services.common.contracts.tracking import TrackingUpdated
from services.common.vocab import ExceptionReason, TrackingStatus

Dialect = Callable[[TrackingUpdated], dict[str, Any]]

# Exceptions name their cause only in words; both carriers' mappers read the cause from them.
EXCEPTION_WORDS: dict[ExceptionReason | None, str] = {
    ExceptionReason.WEATHER: "Severe weather conditions have delayed delivery",
    ExceptionReason.MISSORTED: "The package was missorted",
    ExceptionReason.HELD: "The package is held at the facility",
    ExceptionReason.ADDRESS: "The address is incomplete",
    ExceptionReason.LOST: "The package is lost",
}
# UPS activity (type, code, description); type I + code OR is an origin scan, code FS delivered (§4.2).
UPS_ACTIVITY: dict[TrackingStatus, tuple[str, str, str]] = {
    TrackingStatus.PRE_TRANSIT: ("M", "MP", "Shipper created a label, UPS has not received the package yet"),
    TrackingStatus.ACCEPTED: ("I", "OR", "Origin Scan"),
    TrackingStatus.IN_TRANSIT: ("I", "AR", "Arrived at Facility"),
    TrackingStatus.OUT_FOR_DELIVERY: ("I", "OT", "Out For Delivery Today"),
    TrackingStatus.DELIVERED: ("D", "FS", "Delivered"),
    TrackingStatus.EXCEPTION: ("X", "", "Exception"),
    TrackingStatus.RETURN_TO_SENDER: ("X", "RS", "Returned to sender"),
}
# FedEx scan eventType (§5.4).
FEDEX_EVENT: dict[TrackingStatus, str] = {
    TrackingStatus.PRE_TRANSIT: "OC",
    TrackingStatus.ACCEPTED: "PU",
    TrackingStatus.IN_TRANSIT: "AR",
    TrackingStatus.OUT_FOR_DELIVERY: "OD",
    TrackingStatus.DELIVERED: "DL",
    TrackingStatus.EXCEPTION: "DE",
    TrackingStatus.RETURN_TO_SENDER: "RS",
}


def ups_alert(scan: TrackingUpdated) -> dict[str, Any]:
    """A UPS Track Alert push: local and GMT activity times, the offset, status and scheduled date."""
    kind, code, description = UPS_ACTIVITY[scan.status]
    local, utc = _local(scan), scan.event_time.astimezone(UTC)
    body: dict[str, Any] = {
        "trackingNumber": scan.tracking_number,
        "localActivityDate": f"{local:%Y%m%d}",
        "localActivityTime": f"{local:%H%M%S}",
        "gmtActivityDate": f"{utc:%Y%m%d}",
        "gmtActivityTime": f"{utc:%H%M%S}",
        "gmtOffset": f"{(scan.utc_offset_minutes or 0) / 60:+06.2f}",
        "activityLocation": {"country": "US"},
        "activityStatus": {"type": kind, "code": code, "description": _words(scan, description)},
    }
    if scan.estimated_delivery and scan.estimated_delivery.date:
        body["scheduledDeliveryDate"] = f"{scan.estimated_delivery.date:%Y%m%d}"
    return body


def fedex_push(scan: TrackingUpdated) -> dict[str, Any]:
    """A FedEx tracking webhook: one track result with its newest scan and the delivery window."""
    event: dict[str, Any] = {
        "date": _local(scan).isoformat(timespec="seconds"),
        "eventType": FEDEX_EVENT[scan.status],
        "eventDescription": scan.description or scan.status.value.replace("_", " ").title(),
        "scanLocation": {"countryCode": "US"},
    }
    if scan.status is TrackingStatus.EXCEPTION:
        event["exceptionDescription"] = EXCEPTION_WORDS.get(scan.exception_reason, "Delivery exception")
    result: dict[str, Any] = {
        "trackingNumberInfo": {"trackingNumber": scan.tracking_number, "carrierCode": "FDXG"},
        "scanEvents": [event],
    }
    if scan.estimated_delivery and scan.estimated_delivery.date:
        day, offset = scan.estimated_delivery.date.isoformat(), _local(scan).strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}"
        result["estimatedDeliveryTimeWindow"] = {
            "window": {"begins": f"{day}T08:00:00{offset}", "ends": f"{day}T20:00:00{offset}"}
        }
    return {
        "transactionId": f"demo-{scan.source_event_id}",
        "output": {"completeTrackResults": [{"trackingNumber": scan.tracking_number, "trackResults": [result]}]},
    }


def generic_event(scan: TrackingUpdated) -> dict[str, Any]:
    """Our own format (Standard Webhooks), as an aggregator forwarding any carrier would post it."""
    return scan.model_dump(mode="json", exclude={"source"}, exclude_none=True)


DIALECTS: dict[str, tuple[str, Dialect]] = {"ups": ("ups", ups_alert), "fedex": ("fedex", fedex_push)}


def webhook_for(scan: TrackingUpdated) -> tuple[str, dict[str, Any]]:
    """The source to post to and the body: the carrier's own dialect, or generic through an aggregator."""
    source, dialect = DIALECTS.get(scan.carrier, ("generic", generic_event))
    return source, dialect(scan)


def _local(scan: TrackingUpdated) -> datetime:
    """The scan's wall-clock time where it happened: carriers speak local time."""
    return scan.event_time.astimezone(timezone(timedelta(minutes=scan.utc_offset_minutes or 0)))


def _words(scan: TrackingUpdated, default: str) -> str:
    if scan.status is TrackingStatus.EXCEPTION:
        return EXCEPTION_WORDS.get(scan.exception_reason, default)
    return default
