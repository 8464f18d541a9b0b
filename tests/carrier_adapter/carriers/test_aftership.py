"""AfterShip: recorded webhook payloads in, normalized checkpoints out; and the base64 HMAC signature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.aftership import SOURCE
from services.carrier_adapter.carriers.aftership.services import service_level
from services.carrier_adapter.carriers.aftership.signature import sign
from services.carrier_adapter.carriers.aftership.statuses import classify
from services.carrier_adapter.carriers.base import PayloadError, SignatureError
from services.common.contracts.tracking import EstimatedDelivery, Location
from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus
from tests.carrier_adapter.carriers.recorded import Recorded, assert_event

PAYLOADS = Path(__file__).parent / "payloads" / "aftership"
RECEIVED_AT = datetime(2024, 5, 3, 20, 22, 30, tzinfo=UTC)


RECORDED = Recorded("aftership", RECEIVED_AT)
load, request = RECORDED.load, RECORDED.request
normalize_file, normalize_document = RECORDED.normalize_file, RECORDED.normalize_document


def given_offset(minutes: int) -> dict[str, Any]:
    """Time fields of a checkpoint that carried its own offset."""
    return {"utc_offset_minutes": minutes, "time_zone": None, "time_zone_assumed": False}


BROOKLYN = Location(city="BROOKLYN", region="NY", postal_code="11201", country="US")
FEDEX = {
    "source": "aftership",
    "carrier": "fedex",
    "tracking_number": "785123456789",
    "service_level": ServiceLevel.GROUND,
    "raw_service": "FedEx Home Delivery",
    "signed_by": None,
    # The courier's own EDD wins over AfterShip's prediction; a bare date is the recipient-local date.
    "estimated_delivery": EstimatedDelivery(
        date=date(2024, 5, 3),
        source=EstimateSource.CARRIER,
        source_field="msg.courier_estimated_delivery_date.estimated_delivery_date",
    ),
}


def test_history_out_of_order_with_duplicate_gives_one_event_per_checkpoint() -> None:
    normalized = normalize_file("tracking_update_history.json")

    assert normalized.delivery_id == "8d0e8f8e-3c1b-4c9a-9f5e-2b7d6a1c4e90"
    # Eight checkpoints; the Memphis departure is repeated (same hash) and kept once.
    departed, info, accepted, out, attempted, delivered, limbo = normalized.events

    # Naive 23:50 in Memphis (CDT, -05:00) = 04:50Z next day; Tennessee spans two zones: assumed.
    assert_event(
        departed,
        {
            **FEDEX,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "InTransit_007",
            "description": "Departed FedEx hub",
            "event_time": datetime(2024, 5, 2, 4, 50, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 1, 23, 50),
            "utc_offset_minutes": -300,
            "time_zone": "America/Chicago",
            "time_zone_assumed": True,
            "location": Location(city="MEMPHIS", region="TN", postal_code="38118", country="US"),
            "source_event_id": "6b1f0e4c2a9d8b7e",
        },
    )
    # 16:40 at -07:00 = 23:40Z; the offset is kept.
    assert_event(
        info,
        {
            **FEDEX,
            **given_offset(-420),
            "status": TrackingStatus.PRE_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "InfoReceived_001",
            "description": "Shipment information sent to FedEx",
            "event_time": datetime(2024, 4, 29, 23, 40, tzinfo=UTC),
            "event_local_time": datetime(2024, 4, 29, 16, 40),
            "location": None,
            "source_event_id": "0d3c5a7e9b1f2468",
        },
    )
    # Naive 09:26 in Los Angeles (PDT, -07:00) = 16:26Z; an acceptance scan is "accepted".
    assert_event(
        accepted,
        {
            **FEDEX,
            "status": TrackingStatus.ACCEPTED,
            "exception_reason": None,
            "raw_status_code": "InTransit_002",
            "description": "Picked up",
            "event_time": datetime(2024, 4, 30, 16, 26, tzinfo=UTC),
            "event_local_time": datetime(2024, 4, 30, 9, 26),
            "utc_offset_minutes": -420,
            "time_zone": "America/Los_Angeles",
            "time_zone_assumed": False,
            "location": Location(city="LOS ANGELES", region="CA", postal_code="90021", country="US"),
            "source_event_id": "91ac3e57d0b2f864",
        },
    )
    assert_event(
        out,
        {
            **FEDEX,
            **given_offset(-240),
            "status": TrackingStatus.OUT_FOR_DELIVERY,
            "exception_reason": None,
            "raw_status_code": "OutForDelivery_001",
            "description": "On FedEx vehicle for delivery",
            "event_time": datetime(2024, 5, 3, 12, 5, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 3, 8, 5),
            "location": BROOKLYN,
            "source_event_id": "c4e2a0f8d6b41397",
        },
    )
    # AttemptFail is a delivery attempt. Naive 11:22 in New York (EDT, -04:00) = 15:22Z.
    assert_event(
        attempted,
        {
            **FEDEX,
            "status": TrackingStatus.DELIVERY_ATTEMPTED,
            "exception_reason": ExceptionReason.DELIVERY_ATTEMPTED,
            "raw_status_code": "AttemptFail_002",
            "description": "Customer not available or business closed",
            "event_time": datetime(2024, 5, 3, 15, 22, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 3, 11, 22),
            "utc_offset_minutes": -240,
            "time_zone": "America/New_York",
            "time_zone_assumed": False,
            "location": BROOKLYN,
            "source_event_id": "5f7d9b1e3c2a4086",
        },
    )
    assert_event(
        delivered,
        {
            **FEDEX,
            **given_offset(-240),
            "status": TrackingStatus.DELIVERED,
            "exception_reason": None,
            "raw_status_code": "Delivered_001",
            "description": "Delivered",
            "event_time": datetime(2024, 5, 3, 20, 5, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 3, 16, 5),
            "location": BROOKLYN,
            "source_event_id": "e8a6c4b2d0f19375",
            "signed_by": "A.JONES",
        },
    )
    # No offset and no location: UTC is assumed, and the event says so. An unlisted subtag takes its tag.
    assert_event(
        limbo,
        {
            **FEDEX,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "InTransit_099",
            "description": "In transit",
            "event_time": datetime(2024, 5, 2, 13, 0, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 13, 0),
            "utc_offset_minutes": None,
            "time_zone": None,
            "time_zone_assumed": True,
            "location": None,
            "source_event_id": None,
        },
    )


LONDON = Location(city="LONDON", postal_code="EC1A 1BB", country="GB")
HEATHROW = Location(city="LONDON", postal_code="TW6 2JS", country="GB")
DHL = {
    "source": "aftership",
    "carrier": "dhl",
    "tracking_number": "1234567890",
    "service_level": ServiceLevel.NEXT_DAY,
    "raw_service": "EXPRESS WORLDWIDE",
    "signed_by": None,
    # AfterShip's own revised range (09:00-18:00 BST = 08:00Z-17:00Z), marked as an aggregator estimate.
    "estimated_delivery": EstimatedDelivery(
        date=date(2024, 5, 4),
        window_start=datetime(2024, 5, 4, 8, 0, tzinfo=UTC),
        window_end=datetime(2024, 5, 4, 17, 0, tzinfo=UTC),
        source=EstimateSource.AGGREGATOR,
        source_field="msg.latest_estimated_delivery.datetime_max",
    ),
}


def test_edd_revise_pickup_traps_unknown_tag_and_missing_event_id() -> None:
    normalized = normalize_file("edd_revise_pickup_no_event_id.json")

    assert normalized.delivery_id is None
    arrived, ready, available, contacted, paused, weather = normalized.events

    # Naive 10:00 in London (BST, +01:00) = 09:00Z; ISO alpha-3 GBR is stored as GB.
    assert_event(
        arrived,
        {
            **DHL,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "InTransit_003",
            "description": "Arrived at DHL Sort Facility LONDON-HEATHROW - UK",
            "event_time": datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 10, 0),
            "utc_offset_minutes": 60,
            "time_zone": "Europe/London",
            "time_zone_assumed": False,
            "location": HEATHROW,
            "source_event_id": "a1b2c3d4e5f60718",
        },
    )
    # The OutForDelivery tag also covers "ready to pickup": the message says it waits for collection.
    assert_event(
        ready,
        {
            **DHL,
            **given_offset(60),
            "status": TrackingStatus.AVAILABLE_FOR_PICKUP,
            "exception_reason": None,
            "raw_status_code": "OutForDelivery_001",
            "description": "Shipment is ready for collection at the DHL ServicePoint",
            "event_time": datetime(2024, 5, 2, 15, 45, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 16, 45),
            "location": LONDON,
            "source_event_id": "b2c3d4e5f6071829",
        },
    )
    assert_event(
        available,
        {
            **DHL,
            **given_offset(60),
            "status": TrackingStatus.AVAILABLE_FOR_PICKUP,
            "exception_reason": None,
            "raw_status_code": "OutForDelivery_002",
            "description": "Awaiting collection by recipient as requested",
            "event_time": datetime(2024, 5, 2, 16, 30, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 17, 30),
            "location": LONDON,
            "source_event_id": "c3d4e5f607182930",
        },
    )
    assert_event(
        contacted,
        {
            **DHL,
            **given_offset(60),
            "status": TrackingStatus.OUT_FOR_DELIVERY,
            "exception_reason": None,
            "raw_status_code": "OutForDelivery_003",
            "description": "Recipient contacted to arrange delivery",
            "event_time": datetime(2024, 5, 2, 17, 10, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 18, 10),
            "location": LONDON,
            "source_event_id": "d4e5f60718293a4b",
        },
    )
    assert_event(
        paused,
        {
            **DHL,
            **given_offset(60),
            "status": TrackingStatus.UNKNOWN,
            "exception_reason": None,
            "raw_status_code": "Paused_001",
            "description": "Shipment on hold pending recipient instruction",
            "event_time": datetime(2024, 5, 2, 18, 0, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 2, 19, 0),
            "location": LONDON,
            "source_event_id": "e5f60718293a4b5c",
        },
    )
    assert_event(
        weather,
        {
            **DHL,
            "status": TrackingStatus.DELAYED,
            "exception_reason": ExceptionReason.WEATHER,
            "raw_status_code": "Exception_017",
            "description": "Delayed due to adverse weather conditions",
            "event_time": datetime(2024, 5, 3, 6, 30, tzinfo=UTC),
            "event_local_time": datetime(2024, 5, 3, 7, 30),
            "utc_offset_minutes": 60,
            "time_zone": "Europe/London",
            "time_zone_assumed": False,
            "location": HEATHROW,
            "source_event_id": "f60718293a4b5c6d",
        },
    )


def test_edd_revise_without_checkpoints_reports_the_tracking_status_at_ts() -> None:
    normalized = normalize_file("edd_revise_no_checkpoints.json")

    assert normalized.delivery_id == "2c9a7e1f-5b3d-4f8a-9c6e-0d2b4a6f8e13"
    (event,) = normalized.events
    # ts 1714899600 = 2024-05-05T09:00:00Z. The merchant's Custom EDD is skipped; AfterShip's prediction is used.
    assert_event(
        event,
        {
            "source": "aftership",
            "carrier": "usps",
            "tracking_number": "9400111899223344556677",
            "status": TrackingStatus.PRE_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "InfoReceived_001",
            "description": "Info Received",
            "event_time": datetime(2024, 5, 5, 9, 0, tzinfo=UTC),
            "event_local_time": None,
            "utc_offset_minutes": 0,
            "time_zone": "UTC",
            "time_zone_assumed": False,
            "location": None,
            "estimated_delivery": EstimatedDelivery(
                date=date(2024, 5, 8),
                source=EstimateSource.AGGREGATOR,
                source_field="msg.aftership_estimated_delivery_date.estimated_delivery_date",
            ),
            "service_level": ServiceLevel.GROUND,
            "raw_service": "USPS Ground Advantage",
            "source_event_id": None,
            "signed_by": None,
        },
    )


def test_the_same_delivery_twice_normalizes_identically() -> None:
    assert normalize_file("tracking_update_history.json") == normalize_file("tracking_update_history.json")


def test_pending_time_event_carries_no_tracking() -> None:
    normalized = normalize_file("tracking_pending_time.json")
    assert normalized.events == []
    assert normalized.delivery_id == "7e5c3a1f-9d8b-4c6a-8e2f-1b3d5f7a9c0e"
    assert normalized.kind == "tracking_pending_time"


def test_legacy_zip_field_is_read_as_postal_code() -> None:
    document = load("tracking_update_history.json")
    checkpoint = document["msg"]["checkpoints"][2]
    checkpoint["zip"] = checkpoint.pop("postal_code")

    accepted = normalize_document(document).events[2]

    assert accepted.location == Location(city="LOS ANGELES", region="CA", postal_code="90021", country="US")


OUT = TrackingStatus.OUT_FOR_DELIVERY
AVAILABLE = TrackingStatus.AVAILABLE_FOR_PICKUP


@pytest.mark.parametrize(
    ("tag", "subtag", "messages", "expected"),
    [
        ("OutForDelivery", "OutForDelivery_001", ("Out for Delivery", "On vehicle"), OUT),
        ("OutForDelivery", "OutForDelivery_001", ("Out for Delivery", "Ready for pickup"), AVAILABLE),
        ("OutForDelivery", "OutForDelivery_002", (None, None), TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("OutForDelivery", "OutForDelivery_004", ("Appointment scheduled", "ready for pickup"), OUT),
        ("AvailableForPickup", "AvailableForPickup_001", (None, None), TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("AttemptFail", "AttemptFail_003", (None, None), TrackingStatus.DELIVERY_ATTEMPTED),
        ("Exception", "Exception_011", (None, None), TrackingStatus.RETURN_TO_SENDER),
        ("Exception", "Exception_020", (None, None), TrackingStatus.CANCELLED),
        ("Expired", "Expired_001", (None, None), TrackingStatus.UNKNOWN),
        ("Pending", "Pending_001", (None, None), TrackingStatus.PRE_TRANSIT),
    ],
)  # fmt: skip
def test_tag_and_subtag(tag: str, subtag: str, messages: tuple[Any, Any], expected: TrackingStatus) -> None:
    assert classify(tag, subtag, *messages)[0] is expected


@pytest.mark.parametrize(
    ("subtag", "reason"),
    [
        ("Exception_003", ExceptionReason.REFUSED),
        ("Exception_004", ExceptionReason.CUSTOMS),
        ("Exception_007", ExceptionReason.ADDRESS),
        ("Exception_012", ExceptionReason.DAMAGED),
        ("Exception_013", ExceptionReason.LOST),
        ("Exception_017", ExceptionReason.WEATHER),
        ("Exception_001", ExceptionReason.OTHER),
        ("Exception_099", ExceptionReason.OTHER),
    ],
)
def test_exception_reasons(subtag: str, reason: ExceptionReason) -> None:
    assert classify("Exception", subtag)[1] is reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FedEx Ground", ServiceLevel.GROUND),
        ("FedEx Ground Economy", ServiceLevel.ECONOMY),
        ("UPS Next Day Air Saver", ServiceLevel.NEXT_DAY),
        ("UPS 2nd Day Air", ServiceLevel.TWO_DAY),
        ("UPS 3 Day Select", ServiceLevel.THREE_DAY),
        ("Priority Mail Express 1-Day", ServiceLevel.NEXT_DAY),
        ("Priority Mail 2-Day", ServiceLevel.TWO_DAY),
        ("FedEx Priority Overnight", ServiceLevel.NEXT_DAY),
        ("Parcel", None),
        (None, None),
    ],
)
def test_service_levels(text: str | None, expected: ServiceLevel | None) -> None:
    assert service_level(text) == expected


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["msg"].pop("tracking_number"), "msg.tracking_number"),
        (lambda d: d["msg"].pop("slug"), "msg.slug"),
        (lambda d: d.pop("msg"), "msg"),
        (lambda d: d.pop("event"), "event"),
        (lambda d: d["msg"]["checkpoints"][3].pop("checkpoint_time"), "msg.checkpoints[3].checkpoint_time"),
        (lambda d: d["msg"]["checkpoints"][0].update(checkpoint_time="noon"), "msg.checkpoints[0].checkpoint_time"),
        (lambda d: d["msg"].update(checkpoints={}), "msg.checkpoints"),
        (lambda d: d["msg"]["courier_estimated_delivery_date"].update(estimated_delivery_date="soon"),
         "msg.courier_estimated_delivery_date.estimated_delivery_date"),
    ],
)  # fmt: skip
def test_malformed_payload_names_the_field(mutate: Any, field: str) -> None:
    document = load("tracking_update_history.json")
    mutate(document)
    with pytest.raises(PayloadError) as caught:
        normalize_document(document)
    assert caught.value.field == field


def test_snapshot_without_ts_names_the_field() -> None:
    document = load("edd_revise_no_checkpoints.json")
    document["ts"] = "yesterday"
    with pytest.raises(PayloadError) as caught:
        normalize_document(document)
    assert caught.value.field == "ts"


def test_malformed_json_is_a_body_error() -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(request(b"\xff\xfe not json"), RECEIVED_AT)
    assert caught.value.field == "body"


# --- signature -------------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong secret, tampered, missing header, no secret: test_signatures.py.

BODY = (PAYLOADS / "tracking_update_history.json").read_bytes()
NOW = RECEIVED_AT


def test_non_base64_header_fails() -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, {"aftership-hmac-sha256": "not base64!"}), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"


def test_an_old_ts_is_not_rejected() -> None:
    # AfterShip retries the same body for ~68 h; the signature, not the body's ts, decides.
    SOURCE.verify(request(BODY, sign("s3cret", BODY)), ["s3cret"], datetime(2024, 5, 6, 12, 0, tzinfo=UTC))
