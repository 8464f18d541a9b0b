"""FedEx source: recorded webhook bodies in, canonical events out; fdx-signature HMAC."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError, WebhookRequest, event_dedupe_key
from services.carrier_adapter.carriers.fedex import SOURCE
from services.carrier_adapter.carriers.fedex.services import service_level
from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus

PAYLOADS = Path(__file__).parent / "payloads" / "fedex"
RECEIVED_AT = datetime(2024, 4, 26, 16, 30, tzinfo=UTC)
PDT = timezone(timedelta(hours=-7))
EST = timezone(timedelta(hours=-5))


def _request(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/fedex", headers or {}, {}, body)


def _body(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _events(body: bytes) -> list[dict[str, Any]]:
    normalized = SOURCE.normalize(_request(body), RECEIVED_AT)
    assert normalized.delivery_id is None
    return [event.model_dump() for event in normalized.events]


def _place(city: str, region: str, postal_code: str) -> dict[str, Any]:
    return {"city": city, "region": region, "postal_code": postal_code, "country": "US"}


def _scan(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "fedex",
        "carrier": "fedex",
        "exception_reason": None,
        "time_zone": None,
        "time_zone_assumed": False,
        "source_event_id": None,
        "signed_by": None,
    }
    return {**base, **fields}


def test_history_out_of_order_one_event_per_scan_field_by_field() -> None:
    events = _events(_body("history_out_of_order.json"))
    shared = {
        "tracking_number": "794843185271",
        "estimated_delivery": {
            "date": date(2024, 4, 26),
            "window_start": None,
            "window_end": datetime(2024, 4, 26, 10, 30, tzinfo=PDT),
            "source": "carrier",
            "source_field": "dateAndTimes[type=ESTIMATED_DELIVERY]",
        },
        "service_level": ServiceLevel.NEXT_DAY,
        "raw_service": "PRIORITY_OVERNIGHT",
    }
    los_angeles = _place("LOS ANGELES", "CA", "90021")
    arrived = _scan(
        **shared,
        status=TrackingStatus.IN_TRANSIT,
        raw_status_code="AR",
        description="At local FedEx facility",
        event_time=datetime(2024, 4, 26, 11, 12, tzinfo=UTC),
        event_local_time=datetime(2024, 4, 26, 4, 12),
        utc_offset_minutes=-420,
        location=los_angeles,
    )
    assert events == [
        _scan(
            **shared,
            status=TrackingStatus.DELIVERED,
            raw_status_code="DL",
            description="Delivered",
            # 09:26 at -07:00 → 16:26Z (karrio would say 09:26Z).
            event_time=datetime(2024, 4, 26, 16, 26, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 26, 9, 26),
            utc_offset_minutes=-420,
            location=_place("LOS ANGELES", "CA", "90012"),
            signed_by="J.DOE",
        ),
        _scan(
            **shared,
            status=TrackingStatus.ACCEPTED,
            raw_status_code="PU",
            description="Picked up",
            event_time=datetime(2024, 4, 25, 20, 45, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 25, 16, 45),
            utc_offset_minutes=-240,
            location=_place("ATLANTA", "GA", "30303"),
        ),
        _scan(
            **shared,
            status=TrackingStatus.OUT_FOR_DELIVERY,
            raw_status_code="OD",
            description="On FedEx vehicle for delivery",
            event_time=datetime(2024, 4, 26, 14, 50, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 26, 7, 50),
            utc_offset_minutes=-420,
            location=los_angeles,
        ),
        arrived,
        _scan(
            **shared,
            status=TrackingStatus.PRE_TRANSIT,
            raw_status_code="OC",
            description="Shipment information sent to FedEx",
            event_time=datetime(2024, 4, 25, 15, 2, 31, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 25, 11, 2, 31),
            utc_offset_minutes=-240,
            location=None,
        ),
        arrived,
        _scan(
            **shared,
            status=TrackingStatus.IN_TRANSIT,
            raw_status_code="AO",
            description="Shipment arriving On-time",
            event_time=datetime(2024, 4, 26, 12, 0, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 26, 5, 0),
            utc_offset_minutes=-420,
            location=los_angeles,
        ),
    ]


def test_duplicate_scan_shares_its_dedupe_key() -> None:
    normalized = SOURCE.normalize(_request(_body("history_out_of_order.json")), RECEIVED_AT)
    keys = [event_dedupe_key(event) for event in normalized.events]
    assert keys[3] == keys[5]
    assert len(set(keys)) == 6


def test_exceptions_reasons_naive_time_unknown_code_and_window() -> None:
    events = _events(_body("exceptions_window.json"))
    summary = [(e["raw_status_code"], e["status"], e["exception_reason"]) for e in events]
    assert summary == [
        ("DE", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
        ("DY", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
        ("DP", TrackingStatus.IN_TRANSIT, None),
        ("CD", TrackingStatus.DELAYED, ExceptionReason.CUSTOMS),  # "delay" text does not dilute customs
        ("SE", TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
        ("AE", TrackingStatus.IN_TRANSIT, None),  # arriving early is good news
        ("ZQ", TrackingStatus.UNKNOWN, None),  # kept, never dropped
    ]
    attempted = events[0]
    assert attempted["description"] == "Delivery exception: Customer not available or business closed"
    assert attempted["event_time"] == datetime(2024, 11, 21, 22, 41, tzinfo=UTC)
    assert attempted["utc_offset_minutes"] == -300
    # A live window beats both the standard transit window and the absent dateAndTimes entry.
    assert attempted["estimated_delivery"] == {
        "date": date(2024, 11, 22),
        "window_start": datetime(2024, 11, 22, 10, 0, tzinfo=EST),
        "window_end": datetime(2024, 11, 22, 14, 0, tzinfo=EST),
        "source": "carrier",
        "source_field": "estimatedDeliveryTimeWindow.window",
    }
    assert (attempted["service_level"], attempted["raw_service"]) == (ServiceLevel.GROUND, "GROUND_HOME_DELIVERY")
    naive = events[2]
    # A scan without an offset is resolved at its location: Chicago in November is CST (-06:00).
    assert naive["event_time"] == datetime(2024, 11, 20, 3, 15, tzinfo=UTC)
    assert naive["event_local_time"] == datetime(2024, 11, 19, 21, 15)
    assert (naive["utc_offset_minutes"], naive["time_zone"], naive["time_zone_assumed"]) == (
        -360,
        "America/Chicago",
        False,
    )


def test_standard_transit_window_is_the_last_resort() -> None:
    document = json.loads(_body("exceptions_window.json"))
    del document["output"]["completeTrackResults"][0]["trackResults"][0]["estimatedDeliveryTimeWindow"]
    [first, *_] = _events(json.dumps(document).encode())
    assert first["estimated_delivery"]["source_field"] == "standardTransitTimeWindow.window"
    assert first["estimated_delivery"]["date"] == date(2024, 11, 21)


def test_result_without_scans_yields_no_events() -> None:
    body = {"output": {"completeTrackResults": [{"trackingNumber": "1", "trackResults": [{"scanEvents": []}]}]}}
    assert _events(json.dumps(body).encode()) == []


@pytest.mark.parametrize(
    ("service_type", "level"),
    [("FIRST_OVERNIGHT", ServiceLevel.NEXT_DAY), ("STANDARD_OVERNIGHT", ServiceLevel.NEXT_DAY),
     ("FEDEX_2_DAY_AM", ServiceLevel.TWO_DAY), ("FEDEX_EXPRESS_SAVER", ServiceLevel.THREE_DAY),
     ("FEDEX_GROUND", ServiceLevel.GROUND), ("SMART_POST", ServiceLevel.ECONOMY),
     ("INTERNATIONAL_ECONOMY", ServiceLevel.ECONOMY), ("FEDEX_FREIGHT_PRIORITY", None)],
)  # fmt: skip
def test_service_types(service_type: str, level: ServiceLevel | None) -> None:
    assert service_level(service_type) == level


RESULT = "output.completeTrackResults[0].trackResults[0]"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r["scanEvents"][1].pop("date"), f"{RESULT}.scanEvents[1].date"),
        (lambda r: r["scanEvents"][0].update(date="yesterday"), f"{RESULT}.scanEvents[0].date"),
        (lambda r: r.update(scanEvents="none"), f"{RESULT}.scanEvents"),
    ],
)
def test_malformed_scan_names_the_field(mutate: Any, field: str) -> None:
    document = json.loads(_body("history_out_of_order.json"))
    mutate(document["output"]["completeTrackResults"][0]["trackResults"][0])
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(json.dumps(document).encode()), RECEIVED_AT)
    assert caught.value.field == field


def test_missing_output_and_bad_json() -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(b'{"transactionId": "x"}'), RECEIVED_AT)
    assert caught.value.field == "output"
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(b"<xml/>"), RECEIVED_AT)
    assert caught.value.field == "body"


# --- signature ----------------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong secret, tampered, missing header, no secret: test_signatures.py.


def _verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> None:
    SOURCE.verify(_request(body, headers), secrets, RECEIVED_AT)


def test_garbled_header_fails() -> None:
    body = _body("history_out_of_order.json")
    with pytest.raises(SignatureError) as caught:
        _verify(body, {"fdx-signature": "not base64!"}, ["new-token"])
    assert caught.value.reason == "bad_signature"
