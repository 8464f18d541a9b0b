"""USPS source: recorded subscription envelopes in, canonical events out; X-HMAC with tolerance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError, WebhookRequest, event_dedupe_key
from services.carrier_adapter.carriers.usps import SOURCE
from services.carrier_adapter.carriers.usps.services import service_level
from services.carrier_adapter.carriers.usps.signature import auth_headers, sign
from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus

PAYLOADS = Path(__file__).parent / "payloads" / "usps"
# 48 s after the delivered envelope's timestamp (2024-11-22T18:59:12Z).
NOW = datetime(2024, 11, 22, 19, 0, tzinfo=UTC)


def _request(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/usps", headers or {}, {}, body)


def _body(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _events(body: bytes) -> list[dict[str, Any]]:
    normalized = SOURCE.normalize(_request(body), NOW)
    assert normalized.delivery_id is None
    return [event.model_dump() for event in normalized.events]


def _with_payload(name: str, change: Any) -> bytes:
    """The envelope with its payload document changed (re-stringified, as USPS sends it)."""
    envelope = json.loads(_body(name))
    document = json.loads(envelope["payload"])
    change(document)
    envelope["payload"] = json.dumps(document)
    return json.dumps(envelope).encode()


def _scan(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "usps",
        "carrier": "usps",
        "tracking_number": "9400100000000000000000",
        "exception_reason": None,
        "time_zone": None,
        "time_zone_assumed": False,
        "estimated_delivery": {
            "date": date(2024, 11, 22),
            "window_start": None,
            "window_end": None,  # the expected time is naive: only its date is certain
            "source": "carrier",
            "source_field": "expectedDeliveryTimeStamp",
        },
        "service_level": ServiceLevel.GROUND,
        "raw_service": "USPS Ground Advantage",
        "source_event_id": None,
        "signed_by": None,
    }
    return {**base, **fields}


def _place(city: str, region: str | None, postal_code: str | None) -> dict[str, Any]:
    return {"city": city, "region": region, "postal_code": postal_code, "country": None}


def test_delivered_history_field_by_field() -> None:
    events = _events(_body("delivered_history.json"))
    ashburn = _place("ASHBURN", "VA", "20147")
    chicago = _place("CHICAGO", "IL", "60607")
    arrived = _scan(
        status=TrackingStatus.IN_TRANSIT,
        raw_status_code="07",
        description="Arrived at Post Office",
        event_time=datetime(2024, 11, 22, 10, 1, tzinfo=UTC),
        event_local_time=datetime(2024, 11, 22, 5, 1),
        utc_offset_minutes=-300,
        location=ashburn,
    )
    assert events == [
        _scan(
            status=TrackingStatus.DELIVERED,
            raw_status_code="01",
            description="Delivered, In/At Mailbox",
            # 13:58 local at -05:00 → 18:58Z; karrio would label 13:58 as UTC.
            event_time=datetime(2024, 11, 22, 18, 58, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 22, 13, 58),
            utc_offset_minutes=-300,
            location=ashburn,
        ),
        _scan(
            status=TrackingStatus.OUT_FOR_DELIVERY,
            raw_status_code="OF",
            description="Out for Delivery",
            event_time=datetime(2024, 11, 22, 11, 10, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 22, 6, 10),
            utc_offset_minutes=-300,
            location=ashburn,
        ),
        arrived,
        _scan(
            status=TrackingStatus.IN_TRANSIT,
            raw_status_code="A1",
            description="Arrived at USPS Regional Facility",
            event_time=datetime(2024, 11, 22, 3, 40, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 21, 22, 40),
            utc_offset_minutes=-300,
            location=_place("DULLES", "VA", "20101"),
        ),
        _scan(
            status=TrackingStatus.ACCEPTED,
            raw_status_code="03",
            description="USPS in possession of item",
            event_time=datetime(2024, 11, 20, 21, 32, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 20, 15, 32),
            utc_offset_minutes=-360,
            location=chicago,
        ),
        _scan(
            status=TrackingStatus.PRE_TRANSIT,
            raw_status_code="GX",
            description="Shipping Label Created, USPS Awaiting Item",
            event_time=datetime(2024, 11, 20, 15, 5, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 20, 9, 5),
            utc_offset_minutes=-360,
            location=chicago,
        ),
        arrived,
        _scan(
            status=TrackingStatus.IN_TRANSIT,
            raw_status_code="T1",
            description="Departed USPS Regional Facility",
            event_time=datetime(2024, 11, 21, 8, 12, tzinfo=UTC),
            event_local_time=datetime(2024, 11, 21, 2, 12),
            utc_offset_minutes=-360,
            location=_place("CHICAGO IL DISTRIBUTION CENTER", None, None),
        ),
    ]


def test_duplicate_scan_shares_its_dedupe_key() -> None:
    normalized = SOURCE.normalize(_request(_body("delivered_history.json")), NOW)
    keys = [event_dedupe_key(event) for event in normalized.events]
    assert keys[2] == keys[6]
    assert len(set(keys)) == 7


def test_text_statuses_unknown_code_and_times_without_offset() -> None:
    events = _events(_body("alert_unknown_and_attempt.json"))
    summary = [(e["raw_status_code"], e["status"], e["exception_reason"]) for e in events]
    assert summary == [
        (None, TrackingStatus.PRE_TRANSIT, None),  # "Pre-Shipment": not in_transit as karrio has it
        ("55", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
        ("Q9", TrackingStatus.UNKNOWN, None),  # unknown code and text: kept, never dropped
        ("52", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ]
    pre_shipment, weather, unknown, _ = events
    # No GMT fields at all: Seattle in July is PDT (-07:00), 10:00 local → 17:00Z.
    assert pre_shipment["event_time"] == datetime(2024, 7, 8, 17, 0, tzinfo=UTC)
    assert (pre_shipment["utc_offset_minutes"], pre_shipment["time_zone"]) == (-420, "America/Los_Angeles")
    assert pre_shipment["time_zone_assumed"] is False
    # GMTTimestamp but no GMTOffset: offset derived (rounded to the quarter hour), UTC from local + offset.
    assert weather["event_time"] == datetime(2024, 7, 9, 15, 15, tzinfo=UTC)
    assert (weather["event_local_time"], weather["utc_offset_minutes"]) == (datetime(2024, 7, 9, 8, 15), -420)
    assert unknown["description"] == "Item Status Updated"
    assert unknown["estimated_delivery"] == {
        "date": date(2024, 7, 10),
        "window_start": None,
        "window_end": None,
        "source": "carrier",
        "source_field": "predictedDeliveryDate",
    }
    assert (unknown["service_level"], unknown["raw_service"]) == (ServiceLevel.TWO_DAY, "Priority Mail")


def test_aware_expected_time_becomes_the_window_end() -> None:
    body = _with_payload(
        "delivered_history.json", lambda d: d.update(expectedDeliveryTimeStamp="2024-11-22T21:00:00-05:00")
    )
    estimate = _events(body)[0]["estimated_delivery"]
    assert estimate["window_end"] == datetime(2024, 11, 23, 2, 0, tzinfo=UTC)
    assert estimate["date"] == date(2024, 11, 22)


def test_no_scans_yields_no_events() -> None:
    assert _events(_with_payload("delivered_history.json", lambda d: d.update(trackingEvents=[]))) == []


@pytest.mark.parametrize(
    ("mail_class", "level"),
    [("Priority Mail Express", ServiceLevel.NEXT_DAY), ("PRIORITY_MAIL_EXPRESS", ServiceLevel.NEXT_DAY),
     ("Priority Mail®", ServiceLevel.TWO_DAY), ("USPS_GROUND_ADVANTAGE", ServiceLevel.GROUND),
     ("First-Class Package Service", ServiceLevel.GROUND), ("Media Mail", ServiceLevel.ECONOMY),
     ("Parcel Select", ServiceLevel.GROUND), ("Priority Mail International", None)],
)  # fmt: skip
def test_mail_classes(mail_class: str, level: ServiceLevel | None) -> None:
    assert service_level(mail_class) == level


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b'{"timestamp": "2024-11-22T18:59:12Z"}', "payload"),
        (b'{"payload": "{broken"}', "payload"),
        (b'{"payload": "{\\"trackingEvents\\": []}"}', "payload.trackingNumber"),
    ],
)
def test_malformed_envelope_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(body), NOW)
    assert caught.value.field == field


def test_malformed_scan_names_the_field() -> None:
    body = _with_payload("delivered_history.json", lambda d: d["trackingEvents"][1].update(GMTOffset="EST"))
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(body), NOW)
    assert caught.value.field == "payload.trackingEvents[1].GMTOffset"


# --- signature ----------------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong secret, tampered, missing header, no secret: test_signatures.py.


def _verify(body: bytes, headers: dict[str, str], secrets: list[str], now: datetime = NOW) -> None:
    SOURCE.verify(_request(body, headers), secrets, now)


def test_valid_signature_passes_under_the_deprecated_header_name() -> None:
    body = _body("delivered_history.json")
    envelope = json.loads(body)
    _verify(body, {"hmac-header": sign("n" * 32, envelope["timestamp"], envelope["payload"])}, ["n" * 32])


def test_tampered_timestamp_fails() -> None:
    body = _body("delivered_history.json")
    headers = auth_headers("n" * 32, body)
    with pytest.raises(SignatureError) as caught:
        _verify(body.replace(b"18:59:12Z", b"18:59:40Z", 1), headers, ["n" * 32])
    assert caught.value.reason == "bad_signature"


def test_stale_timestamp_fails() -> None:
    body = _body("delivered_history.json")
    headers = auth_headers("n" * 32, body)
    _verify(body, headers, ["n" * 32], now=datetime(2024, 11, 22, 19, 4, 12, tzinfo=UTC))  # exactly 300 s
    with pytest.raises(SignatureError) as caught:
        _verify(body, headers, ["n" * 32], now=datetime(2024, 11, 22, 19, 4, 13, tzinfo=UTC))
    assert caught.value.reason == "stale_timestamp"
    with pytest.raises(SignatureError) as caught:
        _verify(body, headers, ["n" * 32], now=NOW - timedelta(minutes=10))
    assert caught.value.reason == "stale_timestamp"


def test_body_that_is_not_an_envelope_cannot_be_verified() -> None:
    with pytest.raises(SignatureError) as caught:
        _verify(b'{"payload": {"trackingNumber": "1"}}', {"x-hmac": "AAAA"}, ["n" * 32])
    assert caught.value.reason == "bad_signature"
