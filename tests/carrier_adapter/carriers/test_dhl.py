"""DHL source: recorded unified push bodies in, canonical events out; static API-key header."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError, WebhookRequest, event_dedupe_key
from services.carrier_adapter.carriers.dhl import SOURCE
from services.carrier_adapter.carriers.dhl.services import service_level
from services.carrier_adapter.carriers.dhl.signature import HEADER, auth_headers, subscription_authentication
from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus

PAYLOADS = Path(__file__).parent / "payloads" / "dhl"
RECEIVED_AT = datetime(2024, 7, 16, 15, 0, tzinfo=UTC)


def _request(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/dhl", headers or {}, {}, body)


def _body(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _events(body: bytes) -> list[dict[str, Any]]:
    normalized = SOURCE.normalize(_request(body), RECEIVED_AT)
    assert normalized.delivery_id is None
    return [event.model_dump() for event in normalized.events]


def _place(city: str | None, region: str | None, postal_code: str, country: str) -> dict[str, Any]:
    return {"city": city, "region": region, "postal_code": postal_code, "country": country}


def _express(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "dhl",
        "carrier": "dhl",
        "tracking_number": "1234567890",
        "exception_reason": None,
        "time_zone_assumed": False,
        # Naive estimate, read at the destination (Chicago, exact) → an aware window end.
        "estimated_delivery": {
            "date": date(2024, 7, 16),
            "window_start": None,
            "window_end": datetime(2024, 7, 16, 18, 0, tzinfo=ZoneInfo("America/Chicago")),
            "source": "carrier",
            "source_field": "estimatedTimeOfDelivery",
        },
        "service_level": ServiceLevel.NEXT_DAY,
        "raw_service": "EXPRESS WORLDWIDE",
        "source_event_id": None,
        "signed_by": None,
    }
    return {**base, **fields}


def test_express_history_with_naive_times_field_by_field() -> None:
    events = _events(_body("express_history_naive.json"))
    chicago = _place("CHICAGO", "IL", "60607", "US")
    leipzig = _place("LEIPZIG", None, "04435", "DE")
    sort_facility = _express(
        status=TrackingStatus.IN_TRANSIT,
        raw_status_code="transit",
        description="Arrived at DHL Sort Facility CINCINNATI HUB - USA",
        # Kentucky spans two zones: Eastern is used (-04:00 in July) and marked assumed.
        event_time=datetime(2024, 7, 16, 1, 2, tzinfo=UTC),
        event_local_time=datetime(2024, 7, 15, 21, 2),
        utc_offset_minutes=-240,
        time_zone="America/New_York",
        time_zone_assumed=True,
        location=_place("HEBRON", "KY", "41048", "US"),
    )
    assert events == [
        _express(
            status=TrackingStatus.DELIVERED,
            raw_status_code="delivered",
            description="Delivered - Signed for by: J SMITH",
            # Naive 09:26 in Chicago in July (CDT, -05:00) → 14:26Z.
            event_time=datetime(2024, 7, 16, 14, 26, tzinfo=UTC),
            event_local_time=datetime(2024, 7, 16, 9, 26),
            utc_offset_minutes=-300,
            time_zone="America/Chicago",
            location=chicago,
        ),
        _express(
            status=TrackingStatus.OUT_FOR_DELIVERY,
            raw_status_code="transit",
            description="Shipment is with courier for delivery. With delivery courier",
            event_time=datetime(2024, 7, 16, 12, 45, tzinfo=UTC),
            event_local_time=datetime(2024, 7, 16, 7, 45),
            utc_offset_minutes=-300,
            time_zone="America/Chicago",
            location=chicago,
        ),
        sort_facility,
        _express(
            status=TrackingStatus.IN_TRANSIT,
            raw_status_code="transit",
            description="Departed Facility in LEIPZIG - GERMANY",
            event_time=datetime(2024, 7, 14, 17, 30, tzinfo=UTC),
            event_local_time=datetime(2024, 7, 14, 19, 30),
            utc_offset_minutes=120,
            time_zone="Europe/Berlin",
            location=leipzig,
        ),
        _express(
            status=TrackingStatus.PRE_TRANSIT,
            raw_status_code="pre-transit",
            description="Shipment information received",
            event_time=datetime(2024, 7, 14, 8, 5, tzinfo=UTC),
            event_local_time=datetime(2024, 7, 14, 10, 5),
            utc_offset_minutes=120,
            time_zone=None,
            location=leipzig,
        ),
        sort_facility,
    ]


def test_duplicate_scan_shares_its_dedupe_key() -> None:
    normalized = SOURCE.normalize(_request(_body("express_history_naive.json")), RECEIVED_AT)
    keys = [event_dedupe_key(event) for event in normalized.events]
    assert keys[2] == keys[5]
    assert len(set(keys)) == 5


def test_failures_unknown_and_unresolvable_zone() -> None:
    events = _events(_body("ecommerce_failures.json"))
    summary = [(e["tracking_number"][-3:], e["raw_status_code"], e["status"], e["exception_reason"]) for e in events]
    assert summary == [
        ("567", "failure", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
        ("567", "failure", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
        ("567", "transit", TrackingStatus.IN_TRANSIT, None),
        ("567", "transit", TrackingStatus.IN_TRANSIT, None),
        ("567", "unknown", TrackingStatus.UNKNOWN, None),
        # A shipment without events contributes its status as its one scan.
        ("321", "failure", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ]
    attempted, _, with_z, no_location, _, returned = events
    # Denver, 12 March 2024: daylight time had begun (MDT, -06:00) → 14:10 local is 20:10Z.
    assert attempted["event_time"] == datetime(2024, 3, 12, 20, 10, tzinfo=UTC)
    assert (attempted["utc_offset_minutes"], attempted["time_zone"]) == (-360, "America/Denver")
    assert attempted["location"] == _place("Denver", "CO", "80202", "US")
    # The destination gives only a country, so the naive window cannot be placed: date only.
    assert attempted["estimated_delivery"] == {
        "date": date(2024, 3, 12),
        "window_start": None,
        "window_end": None,
        "source": "carrier",
        "source_field": "estimatedDeliveryTimeFrame",
    }
    assert (attempted["service_level"], attempted["raw_service"]) == (ServiceLevel.GROUND, "DHL Parcel Expedited")
    assert (with_z["event_time"], with_z["utc_offset_minutes"]) == (datetime(2024, 3, 11, 16, 20, tzinfo=UTC), 0)
    # No location at all: UTC is assumed, and said so.
    assert no_location["event_time"] == datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
    assert (no_location["time_zone"], no_location["utc_offset_minutes"], no_location["time_zone_assumed"]) == (
        None,
        None,
        True,
    )
    assert no_location["location"] is None
    assert returned["event_time"] == datetime(2024, 3, 13, 17, 0, tzinfo=UTC)
    assert (returned["service_level"], returned["estimated_delivery"]) == (ServiceLevel.ECONOMY, None)


def test_aware_time_frame_is_a_window() -> None:
    document = json.loads(_body("ecommerce_failures.json"))
    document["shipments"][0]["estimatedDeliveryTimeFrame"] = {
        "estimatedFrom": "2024-03-12T09:00:00-06:00",
        "estimatedThrough": "2024-03-12T20:00:00-06:00",
    }
    estimate = _events(json.dumps(document).encode())[0]["estimated_delivery"]
    assert (estimate["window_start"], estimate["window_end"]) == (
        datetime(2024, 3, 12, 15, 0, tzinfo=UTC),
        datetime(2024, 3, 13, 2, 0, tzinfo=UTC),
    )


def test_no_shipments_yields_no_events() -> None:
    assert _events(b'{"shipments": []}') == []


@pytest.mark.parametrize(
    ("product", "level"),
    [("EXPRESS 9:00", ServiceLevel.NEXT_DAY), ("EXPRESS 10:30", ServiceLevel.NEXT_DAY),
     ("EXPRESS 12:00", ServiceLevel.NEXT_DAY), ("ECONOMY SELECT", ServiceLevel.ECONOMY),
     ("DHL eCommerce Parcel", ServiceLevel.GROUND), ("MEDICAL EXPRESS", None), (None, None)],
)  # fmt: skip
def test_products(product: str | None, level: ServiceLevel | None) -> None:
    assert service_level(product) == level


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[1, 2", "body"),
        (b"{}", "shipments"),
        (b'{"shipments": [{"events": []}]}', "shipments[0].id"),
        (b'{"shipments": [{"id": "1", "events": [{"statusCode": "transit"}]}]}', "shipments[0].events[0].timestamp"),
        (b'{"shipments": [{"id": "1", "events": [{"timestamp": "soon"}]}]}', "shipments[0].events[0].timestamp"),
        (b'{"shipments": [{"id": "1", "events": "none"}]}', "shipments[0].events"),
    ],
)
def test_malformed_body_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(body), RECEIVED_AT)
    assert caught.value.field == field


# --- authentication -----------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong token, missing header, no token: test_signatures.py.


def _verify(headers: dict[str, str], secrets: list[str]) -> None:
    SOURCE.verify(_request(_body("express_history_naive.json"), headers), secrets, RECEIVED_AT)


def test_subscription_names_the_header_the_token_is_checked_in() -> None:
    _verify(auth_headers("token-new", b""), ["token-new"])
    assert subscription_authentication("token-new") == {
        "type": "ApiKeyAuthentication",
        "header": HEADER,
        "token": "token-new",
    }


def test_token_under_another_header_name_is_missing() -> None:
    with pytest.raises(SignatureError) as caught:
        _verify({"dhl-api-key": "token-new"}, ["token-new"])
    assert caught.value.reason == "missing_signature"
