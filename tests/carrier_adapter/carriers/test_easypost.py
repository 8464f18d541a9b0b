"""EasyPost: recorded Event payloads in, normalized scans out; and the legacy HMAC signature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError
from services.carrier_adapter.carriers.easypost import SOURCE
from services.carrier_adapter.carriers.easypost.services import service_level
from services.carrier_adapter.carriers.easypost.signature import sign
from services.carrier_adapter.carriers.easypost.statuses import classify
from services.common.contracts.tracking import EstimatedDelivery, Location
from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus
from tests.carrier_adapter.carriers.recorded import Recorded, assert_event

PAYLOADS = Path(__file__).parent / "payloads" / "easypost"
RECEIVED_AT = datetime(2024, 8, 7, 15, 0, tzinfo=UTC)


RECORDED = Recorded("easypost", RECEIVED_AT)
load, request = RECORDED.load, RECORDED.request
normalize_file, normalize_document = RECORDED.normalize_file, RECORDED.normalize_document


FEDEX_ESTIMATE = EstimatedDelivery(
    date=date(2024, 8, 3),
    source=EstimateSource.CARRIER,
    source_field="result.carrier_detail.est_delivery_date_local",
)
FEDEX = {
    "source": "easypost",
    "carrier": "fedex",
    "tracking_number": "776543219870",
    "service_level": ServiceLevel.GROUND,
    "raw_service": "FEDEX_GROUND",
    "source_event_id": None,
    "signed_by": None,
    "estimated_delivery": FEDEX_ESTIMATE,
}


def test_history_out_of_order_with_duplicate_gives_one_event_per_scan() -> None:
    normalized = normalize_file("tracker_updated_history.json")

    assert normalized.delivery_id == "evt_3f8b2c1a9d7e4f60b1c2d3e4f5a6b7c8"
    assert len(normalized.events) == 5  # six details, one repeated
    arrived, label, picked_up, weather, delivered = normalized.events

    # "Z" with a known scan location is local wall-clock time: 03:15 in Memphis (CDT, -05:00) = 08:15Z.
    # Tennessee spans two zones, so Central is assumed (and flagged).
    assert_event(
        arrived,
        {
            **FEDEX,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "in_transit/arrived_at_facility",
            "description": "Arrived at FedEx location",
            "event_time": datetime(2024, 8, 1, 8, 15, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 1, 3, 15),
            "utc_offset_minutes": -300,
            "time_zone": "America/Chicago",
            "time_zone_assumed": True,
            "location": Location(city="MEMPHIS", region="TN", postal_code="38118", country="US"),
        },
    )

    # No location: EasyPost's documented default is UTC, so 18:02Z is taken as UTC.
    assert_event(
        label,
        {
            **FEDEX,
            "status": TrackingStatus.PRE_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "pre_transit/label_created",
            "description": "Shipment information sent to FedEx",
            "event_time": datetime(2024, 7, 30, 18, 2, tzinfo=UTC),
            "event_local_time": None,
            "utc_offset_minutes": 0,
            "time_zone": "UTC",
            "time_zone_assumed": False,
            "location": None,
        },
    )

    # 19:27 in Los Angeles (PDT, -07:00) = 02:27Z the next day; the first carrier scan is "accepted".
    assert_event(
        picked_up,
        {
            **FEDEX,
            "status": TrackingStatus.ACCEPTED,
            "exception_reason": None,
            "raw_status_code": "in_transit/received_at_origin_facility",
            "description": "Picked up",
            "event_time": datetime(2024, 8, 1, 2, 27, tzinfo=UTC),
            "event_local_time": datetime(2024, 7, 31, 19, 27),
            "utc_offset_minutes": -420,
            "time_zone": "America/Los_Angeles",
            "time_zone_assumed": False,
            "location": Location(city="LOS ANGELES", region="CA", postal_code="90021", country="US"),
        },
    )

    # A real offset is trusted: 11:40 at -05:00 = 16:40Z; a weather delay under in_transit is a delay.
    assert_event(
        weather,
        {
            **FEDEX,
            "status": TrackingStatus.DELAYED,
            "exception_reason": ExceptionReason.WEATHER,
            "raw_status_code": "in_transit/weather_delay",
            "description": "Delay due to weather or natural disaster",
            "event_time": datetime(2024, 8, 2, 16, 40, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 2, 11, 40),
            "utc_offset_minutes": -300,
            "time_zone": None,
            "time_zone_assumed": False,
            "location": Location(city="DALLAS", region="TX", postal_code="75261", country="US"),
        },
    )

    # Texas spans two zones: Central is assumed (and flagged). 14:05 CDT = 19:05Z.
    assert_event(
        delivered,
        {
            **FEDEX,
            "status": TrackingStatus.DELIVERED,
            "exception_reason": None,
            "raw_status_code": "delivered/arrived_at_destination",
            "description": "Delivered",
            "event_time": datetime(2024, 8, 3, 19, 5, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 3, 14, 5),
            "utc_offset_minutes": -300,
            "time_zone": "America/Chicago",
            "time_zone_assumed": True,
            "location": Location(city="AUSTIN", region="TX", postal_code="78701", country="US"),
            "signed_by": "J.SMITH",
        },
    )


USPS = {
    "source": "easypost",
    "carrier": "usps",
    "tracking_number": "9405511899223197428490",
    "service_level": ServiceLevel.TWO_DAY,
    "raw_service": "Priority",
    "source_event_id": None,
    "signed_by": None,
    # EasyPost writes the date as midnight Z; the calendar date is the estimate.
    "estimated_delivery": EstimatedDelivery(
        date=date(2024, 8, 8), source=EstimateSource.CARRIER, source_field="result.est_delivery_date"
    ),
}


def test_missing_event_id_unknown_code_naive_time_and_utc_estimate() -> None:
    normalized = normalize_file("tracker_updated_usps_no_id.json")

    assert normalized.delivery_id is None
    label, arrived, unknown, held = normalized.events

    assert_event(
        label,
        {
            **USPS,
            "status": TrackingStatus.PRE_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "pre_transit/label_created",
            "description": "Shipping Label Created, USPS Awaiting Item",
            "event_time": datetime(2024, 8, 5, 21, 10, tzinfo=UTC),
            "event_local_time": None,
            "utc_offset_minutes": 0,
            "time_zone": "UTC",
            "time_zone_assumed": False,
            "location": None,
        },
    )
    # A naive 09:26 in Phoenix (MST, -07:00 all year) = 16:26Z; Arizona has two zones, so assumed.
    assert_event(
        arrived,
        {
            **USPS,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "in_transit/arrived_at_facility",
            "description": "Arrived at USPS Regional Facility",
            "event_time": datetime(2024, 8, 6, 16, 26, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 6, 9, 26),
            "utc_offset_minutes": -420,
            "time_zone": "America/Phoenix",
            "time_zone_assumed": True,
            "location": Location(city="PHOENIX", region="AZ", postal_code="85043"),
        },
    )
    # An undocumented status is kept, verbatim, as unknown. 15:02 MST = 22:02Z.
    assert_event(
        unknown,
        {
            **USPS,
            "status": TrackingStatus.UNKNOWN,
            "exception_reason": None,
            "raw_status_code": "in_customs/awaiting_information",
            "description": "Processing Exception, Awaiting Information",
            "event_time": datetime(2024, 8, 6, 22, 2, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 6, 15, 2),
            "utc_offset_minutes": -420,
            "time_zone": "America/Phoenix",
            "time_zone_assumed": True,
            "location": Location(city="PHOENIX", region="AZ", postal_code="85043"),
        },
    )
    # Denver in August is MDT (-06:00): 07:45 = 13:45Z.
    assert_event(
        held,
        {
            **USPS,
            "status": TrackingStatus.EXCEPTION,
            "exception_reason": ExceptionReason.HELD,
            "raw_status_code": "in_transit/held",
            "description": "Held at Post Office, At Customer Request",
            "event_time": datetime(2024, 8, 7, 13, 45, tzinfo=UTC),
            "event_local_time": datetime(2024, 8, 7, 7, 45),
            "utc_offset_minutes": -360,
            "time_zone": "America/Denver",
            "time_zone_assumed": False,
            "location": Location(city="DENVER", region="CO", postal_code="80202"),
        },
    )


def test_the_same_delivery_twice_normalizes_identically() -> None:
    first = normalize_file("tracker_updated_history.json")
    again = normalize_file("tracker_updated_history.json")
    assert again == first
    assert again.delivery_id == first.delivery_id


def test_batch_event_carries_no_tracking() -> None:
    normalized = normalize_file("batch_created.json")
    assert normalized.events == []
    assert normalized.delivery_id == "evt_9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"
    assert normalized.kind == "batch.created"


def test_tracker_without_scans_reports_its_status_at_updated_at() -> None:
    document = load("tracker_updated_usps_no_id.json")
    document["description"] = "tracker.created"
    document["result"].update(tracking_details=[], status="pre_transit", status_detail="label_created")

    (event,) = normalize_document(document).events

    assert event.status is TrackingStatus.PRE_TRANSIT
    assert event.raw_status_code == "pre_transit/label_created"
    assert event.event_time == datetime(2024, 8, 7, 14, 46, 2, tzinfo=UTC)
    assert event.time_zone == "UTC"


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("in_transit", "weather_delay", (TrackingStatus.DELAYED, ExceptionReason.WEATHER)),
        ("in_transit", "held", (TrackingStatus.EXCEPTION, ExceptionReason.HELD)),
        ("failure", "refused", (TrackingStatus.EXCEPTION, ExceptionReason.REFUSED)),
        ("failure", "damaged", (TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED)),
        ("failure", "lost", (TrackingStatus.EXCEPTION, ExceptionReason.LOST)),
        ("in_transit", "address_correction", (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS)),
        ("in_transit", "delayed", (TrackingStatus.DELAYED, ExceptionReason.DELAYED)),
        ("failure", None, (TrackingStatus.EXCEPTION, ExceptionReason.OTHER)),
        ("return_to_sender", "refused", (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.REFUSED)),
        ("available_for_pickup", "arrived_at_pickup_location", (TrackingStatus.AVAILABLE_FOR_PICKUP, None)),
        ("delivered", "arrived_at_destination", (TrackingStatus.DELIVERED, None)),
        ("error", "unknown", (TrackingStatus.UNKNOWN, None)),
        ("teleported", "arrived_at_facility", (TrackingStatus.UNKNOWN, None)),
    ],
)
def test_status_detail_traps(status: str, detail: str | None, expected: tuple[Any, Any]) -> None:
    assert classify(status, detail) == expected


@pytest.mark.parametrize(
    ("carrier", "raw", "expected"),
    [
        ("fedex", "FEDEX_GROUND", ServiceLevel.GROUND),
        ("fedex", "PRIORITY_OVERNIGHT", ServiceLevel.NEXT_DAY),
        ("fedex", "FEDEX_2_DAY", ServiceLevel.TWO_DAY),
        ("usps", "Priority", ServiceLevel.TWO_DAY),
        ("usps", "Express", ServiceLevel.NEXT_DAY),
        ("usps", "GroundAdvantage", ServiceLevel.GROUND),
        ("ups", "NextDayAir", ServiceLevel.NEXT_DAY),
        ("ups", "2ndDayAir", ServiceLevel.TWO_DAY),
        ("ups", "3DaySelect", ServiceLevel.THREE_DAY),
        ("ups", "Ground", ServiceLevel.GROUND),
        ("ups", "SomethingNew", None),
        ("ups", None, None),
    ],
)
def test_service_levels(carrier: str, raw: str | None, expected: ServiceLevel | None) -> None:
    assert service_level(carrier, raw) == expected


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["result"].pop("tracking_code"), "result.tracking_code"),
        (lambda d: d["result"].pop("carrier"), "result.carrier"),
        (lambda d: d.pop("result"), "result"),
        (lambda d: d.pop("description"), "description"),
        (lambda d: d["result"]["tracking_details"][2].pop("datetime"), "result.tracking_details[2].datetime"),
        (
            lambda d: d["result"]["tracking_details"][0].update(datetime="yesterday"),
            "result.tracking_details[0].datetime",
        ),
        (lambda d: d["result"].update(tracking_details="none"), "result.tracking_details"),
    ],
)
def test_malformed_payload_names_the_field(mutate: Any, field: str) -> None:
    document = load("tracker_updated_history.json")
    mutate(document)
    with pytest.raises(PayloadError) as caught:
        normalize_document(document)
    assert caught.value.field == field


def test_malformed_json_is_a_body_error() -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(request(b'{"description": "tracker.updated",'), RECEIVED_AT)
    assert caught.value.field == "body"


# --- signature -------------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong secret, tampered, missing header, no secret: test_signatures.py.

BODY = (PAYLOADS / "tracker_updated_history.json").read_bytes()
NOW = datetime(2024, 8, 3, 19, 6, 20, tzinfo=UTC)


def test_secret_is_nfkd_normalized() -> None:
    # "ﬁ" (U+FB01) decomposes to "fi" under NFKD, as EasyPost's SDK does before hashing.
    SOURCE.verify(request(BODY, sign("\ufb01nance", BODY)), ["finance"], NOW)


@pytest.mark.parametrize("header", ["sha256=abcd", "hmac-sha256-hex=not-hex"])
def test_malformed_header_fails(header: str) -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, {"x-hmac-signature": header}), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"
