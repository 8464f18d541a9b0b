"""UPS source: recorded Track Alert and Track API payloads in, canonical events out; bearer auth."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError, WebhookRequest, event_dedupe_key
from services.carrier_adapter.carriers.ups import SOURCE
from services.carrier_adapter.carriers.ups.services import service_level
from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus

PAYLOADS = Path(__file__).parent / "payloads" / "ups"
RECEIVED_AT = datetime(2024, 4, 24, 18, 0, tzinfo=UTC)
EDT = timezone(timedelta(hours=-4))


def _request(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/ups", headers or {}, {}, body)


def _body(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _events(body: bytes) -> list[dict[str, Any]]:
    normalized = SOURCE.normalize(_request(body), RECEIVED_AT)
    assert normalized.delivery_id is None
    return [event.model_dump() for event in normalized.events]


def _expected(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "ups",
        "carrier": "ups",
        "exception_reason": None,
        "time_zone": None,
        "time_zone_assumed": False,
        "estimated_delivery": None,
        "service_level": None,
        "raw_service": None,
        "source_event_id": None,
        "signed_by": None,
    }
    return {**base, **fields}


def _place(city: str, region: str, postal_code: str | None = None) -> dict[str, Any]:
    return {"city": city, "region": region, "postal_code": postal_code, "country": "US"}


def _estimate(day: date, source_field: str, start: datetime | None = None, end: datetime | None = None) -> dict:
    return {"date": day, "window_start": start, "window_end": end, "source": "carrier", "source_field": source_field}


# --- Track Alert --------------------------------------------------------------------------------


def test_type_i_code_ot_is_out_for_delivery_with_offset_and_window() -> None:
    [event] = _events(_body("alert_out_for_delivery.json"))
    assert event == _expected(
        tracking_number="1ZCIETST0111111114",
        status=TrackingStatus.OUT_FOR_DELIVERY,
        raw_status_code="OT",
        description="Out for Delivery",
        # 09:15:19 local at -04.00 → 13:15:19Z; the local wall clock and offset are kept.
        event_time=datetime(2024, 4, 23, 13, 15, 19, tzinfo=UTC),
        event_local_time=datetime(2024, 4, 23, 9, 15, 19),
        utc_offset_minutes=-240,
        location=_place("ATLANTA", "GA"),
        estimated_delivery=_estimate(
            date(2024, 4, 23),
            "scheduledDeliveryDate",
            start=datetime(2024, 4, 23, 12, 0, tzinfo=EDT),
            end=datetime(2024, 4, 23, 16, 0, tzinfo=EDT),
        ),
    )


def test_type_d_without_delivery_date_is_not_delivered() -> None:
    [event] = _events(_body("alert_type_d_loaded.json"))
    assert event["status"] is TrackingStatus.OUT_FOR_DELIVERY
    assert event["raw_status_code"] == "DV"
    assert event["event_time"] == datetime(2024, 4, 23, 10, 40, 2, tzinfo=UTC)
    assert event["estimated_delivery"] == _estimate(date(2024, 4, 23), "scheduledDeliveryDate")


def test_delivered_keeps_receiver_and_scheduled_date_not_actual() -> None:
    [event] = _events(_body("alert_delivered.json"))
    assert event == _expected(
        tracking_number="1ZCIETST0111111114",
        status=TrackingStatus.DELIVERED,
        raw_status_code="FS",
        description="Delivered",
        event_time=datetime(2024, 4, 23, 18, 22, 10, tzinfo=UTC),
        event_local_time=datetime(2024, 4, 23, 14, 22, 10),
        utc_offset_minutes=-240,
        location=_place("ATLANTA", "GA", "30303"),
        estimated_delivery=_estimate(date(2024, 4, 23), "scheduledDeliveryDate"),
        signed_by="FRONT DESK",
    )


def test_local_time_without_offset_is_resolved_at_the_scan_location() -> None:
    [event] = _events(_body("alert_local_time_only.json"))
    assert event == _expected(
        tracking_number="1ZCIETST0422222228",
        status=TrackingStatus.IN_TRANSIT,
        raw_status_code="AR",
        description="Arrived at Facility",
        # Denver in January is MST (-07:00): 10:15 local → 17:15Z.
        event_time=datetime(2024, 1, 15, 17, 15, tzinfo=UTC),
        event_local_time=datetime(2024, 1, 15, 10, 15),
        utc_offset_minutes=-420,
        time_zone="America/Denver",
        location=_place("DENVER", "CO"),
        estimated_delivery=_estimate(date(2024, 1, 17), "scheduledDeliveryDate"),
    )


def test_offset_is_derived_from_gmt_time_and_weather_exception_is_a_delay() -> None:
    [event] = _events(_body("alert_weather_gmt_without_offset.json"))
    assert event["event_time"] == datetime(2024, 11, 5, 23, 30, tzinfo=UTC)
    assert event["event_local_time"] == datetime(2024, 11, 5, 18, 30)
    assert event["utc_offset_minutes"] == -300
    assert event["time_zone_assumed"] is False
    assert (event["status"], event["exception_reason"]) == (TrackingStatus.DELAYED, ExceptionReason.WEATHER)
    assert event["raw_status_code"] == "WX"


# --- Track API history --------------------------------------------------------------------------


def test_history_yields_one_event_per_scan_out_of_order_with_duplicate_and_unknown() -> None:
    events = _events(_body("track_api_history_rescheduled.json"))
    # RDD (rescheduled) supersedes SDD; every scan carries the package's estimate and service.
    shared = {
        "tracking_number": "1Z999AA10123456784",
        "estimated_delivery": _estimate(date(2024, 4, 24), "deliveryDate[type=RDD]"),
        "service_level": ServiceLevel.GROUND,
        "raw_service": "03",
    }
    atlanta, chicago = _place("Atlanta", "GA"), _place("Chicago", "IL")
    departed = _expected(
        **shared,
        status=TrackingStatus.IN_TRANSIT,
        raw_status_code="DP",
        description="Departed from Facility",
        event_time=datetime(2024, 4, 22, 22, 30, tzinfo=UTC),
        event_local_time=datetime(2024, 4, 22, 18, 30),
        utc_offset_minutes=-240,
        location=atlanta,
    )
    assert events == [
        departed,
        _expected(
            **shared,
            status=TrackingStatus.PRE_TRANSIT,
            raw_status_code="MP",
            description="Shipper created a label, UPS has not received the package yet.",
            event_time=datetime(2024, 4, 21, 19, 5, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 21, 14, 5),
            utc_offset_minutes=-300,
            location=chicago,
        ),
        _expected(
            **shared,
            status=TrackingStatus.ACCEPTED,
            raw_status_code="OR",
            description="Origin Scan",
            # 20:10 local at -05:00 is already the next day in UTC.
            event_time=datetime(2024, 4, 22, 1, 10, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 21, 20, 10),
            utc_offset_minutes=-300,
            location=chicago,
        ),
        departed,
        _expected(
            **shared,
            status=TrackingStatus.DELAYED,
            exception_reason=ExceptionReason.WEATHER,
            raw_status_code="WX",
            description="Severe weather conditions have delayed delivery.",
            event_time=datetime(2024, 4, 23, 11, 12, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 23, 7, 12),
            utc_offset_minutes=-240,
            location=atlanta,
        ),
        _expected(
            **shared,
            status=TrackingStatus.UNKNOWN,
            raw_status_code="ZZ",
            description="Package information updated",
            event_time=datetime(2024, 4, 23, 12, 15, tzinfo=UTC),
            event_local_time=datetime(2024, 4, 23, 8, 15),
            utc_offset_minutes=-240,
            location=atlanta,
        ),
    ]


def test_duplicate_scan_has_the_same_dedupe_key() -> None:
    normalized = SOURCE.normalize(_request(_body("track_api_history_rescheduled.json")), RECEIVED_AT)
    keys = [event_dedupe_key(event) for event in normalized.events]
    assert keys[0] == keys[3]
    assert len(set(keys)) == 5


def test_type_d_trap_and_del_is_not_an_estimate() -> None:
    events = _events(_body("track_api_delivered.json"))
    assert [(e["raw_status_code"], e["status"]) for e in events] == [
        ("KB", TrackingStatus.DELIVERED),
        ("OT", TrackingStatus.OUT_FOR_DELIVERY),  # type I + OT: karrio says in_transit
        ("OF", TrackingStatus.OUT_FOR_DELIVERY),  # type D, loaded on vehicle: karrio says delivered
    ]
    delivered = events[0]
    # 09:26 local at -07:00 → 16:26Z.
    assert delivered["event_time"] == datetime(2024, 4, 24, 16, 26, tzinfo=UTC)
    assert delivered["event_local_time"] == datetime(2024, 4, 24, 9, 26)
    assert delivered["utc_offset_minutes"] == -420
    assert delivered["location"] == _place("Los Angeles", "CA", "90012")
    assert delivered["estimated_delivery"] == _estimate(date(2024, 4, 24), "deliveryDate[type=SDD]")
    assert (delivered["service_level"], delivered["raw_service"]) == (ServiceLevel.NEXT_DAY, "13")


def test_only_del_gives_no_estimate() -> None:
    document = json.loads(_body("track_api_delivered.json"))
    package = document["trackResponse"]["shipment"][0]["package"][0]
    package["deliveryDate"] = [{"type": "DEL", "date": "20240424"}]
    events = _events(json.dumps(document).encode())
    assert all(event["estimated_delivery"] is None for event in events)


def test_package_without_activity_yields_no_events() -> None:
    body = {"trackResponse": {"shipment": [{"package": [{"trackingNumber": "1Z999AA10123456784", "activity": []}]}]}}
    assert _events(json.dumps(body).encode()) == []


@pytest.mark.parametrize(
    ("code", "level"),
    [("01", ServiceLevel.NEXT_DAY), ("02", ServiceLevel.TWO_DAY), ("03", ServiceLevel.GROUND),
     ("12", ServiceLevel.THREE_DAY), ("14", ServiceLevel.NEXT_DAY), ("59", ServiceLevel.TWO_DAY),
     ("003", ServiceLevel.GROUND), ("96", None), (None, None)],
)  # fmt: skip
def test_service_codes(code: str | None, level: ServiceLevel | None) -> None:
    assert service_level(code) == level


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("trackingNumber"), "trackingNumber"),
        (lambda d: d.pop("activityStatus"), "activityStatus"),
        (lambda d: d.update(gmtOffset="minus four"), "gmtOffset"),
        (lambda d: d.update(localActivityDate="2024-13-45"), "localActivityDate"),
        (lambda d: [d.pop(k) for k in ("localActivityDate", "gmtActivityDate")], "localActivityDate"),
    ],
)
def test_malformed_alert_names_the_field(mutate: Any, field: str) -> None:
    document = json.loads(_body("alert_out_for_delivery.json"))
    mutate(document)
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(json.dumps(document).encode()), RECEIVED_AT)
    assert caught.value.field == field


def test_malformed_json_is_a_body_error() -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(b"{not json"), RECEIVED_AT)
    assert caught.value.field == "body"


def test_track_api_missing_tracking_number_names_the_path() -> None:
    body = {"trackResponse": {"shipment": [{"package": [{"activity": []}]}]}}
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(_request(json.dumps(body).encode()), RECEIVED_AT)
    assert caught.value.field == "trackResponse.shipment[0].package[0].trackingNumber"


# --- authentication -----------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong token, missing header, no token: test_signatures.py.


def _verify(headers: dict[str, str], secrets: list[str]) -> None:
    SOURCE.verify(_request(_body("alert_delivered.json"), headers), secrets, RECEIVED_AT)


def test_bearer_scheme_is_case_insensitive() -> None:
    _verify({"authorization": "bearer token-new"}, ["token-new"])


def test_other_scheme_fails() -> None:
    with pytest.raises(SignatureError) as caught:
        _verify({"authorization": "Basic token-new"}, ["token-new"])
    assert caught.value.reason == "bad_signature"
