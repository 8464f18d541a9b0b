"""Shippo: recorded track_updated payloads in, normalized scans out; HMAC header and URL token."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.carrier_adapter.carriers.base import PayloadError, SignatureError
from services.carrier_adapter.carriers.shippo import SOURCE
from services.carrier_adapter.carriers.shippo.services import service_level
from services.carrier_adapter.carriers.shippo.signature import sign, token_query
from services.carrier_adapter.carriers.shippo.statuses import classify
from services.common.contracts.tracking import EstimatedDelivery, Location
from services.common.vocab import EstimateSource, ExceptionReason, ServiceLevel, TrackingStatus
from tests.carrier_adapter.carriers.recorded import Recorded, assert_event

PAYLOADS = Path(__file__).parent / "payloads" / "shippo"
RECEIVED_AT = datetime(2024, 8, 6, 14, 32, tzinfo=UTC)


RECORDED = Recorded("shippo", RECEIVED_AT)
load, request = RECORDED.load, RECORDED.request
normalize_file, normalize_document = RECORDED.normalize_file, RECORDED.normalize_document


# status_date is documented as UTC: no local time is invented for it.
AS_UTC = {"event_local_time": None, "utc_offset_minutes": 0, "time_zone": "UTC", "time_zone_assumed": False}
SPOTSYLVANIA = Location(city="Spotsylvania", region="VA", postal_code="22551", country="US")
USPS = {
    "source": "shippo",
    "carrier": "usps",
    "tracking_number": "9205590164917312751089",
    "service_level": ServiceLevel.NEXT_DAY,
    "raw_service": "usps_priority_express",
    "signed_by": None,
    # The ETA is the carrier's; midnight Z is how Shippo writes a date-only estimate.
    "estimated_delivery": EstimatedDelivery(
        date=date(2024, 8, 6), source=EstimateSource.CARRIER, source_field="data.eta"
    ),
}


def test_history_out_of_order_gives_one_event_per_scan() -> None:
    normalized = normalize_file("track_updated_history.json")

    assert normalized.delivery_id is None  # Shippo sends no event id
    # Six history entries; tracking_status repeats the newest (same object_id) and is merged.
    accepted, label, departed, attempted, out, delivered = normalized.events

    assert_event(
        accepted,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.ACCEPTED,
            "exception_reason": None,
            "raw_status_code": "TRANSIT/package_accepted",
            "description": "USPS in possession of item",
            # Naive, but documented UTC: 01:12 is 01:12Z, not Las Vegas time.
            "event_time": datetime(2024, 8, 4, 1, 12, tzinfo=UTC),
            "location": Location(city="Las Vegas", region="NV", postal_code="89101", country="US"),
            "source_event_id": "5d8e0c7b6a5f4e3d2c1b0a9f8e7d6c12",
        },
    )
    assert_event(
        label,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.PRE_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "PRE_TRANSIT/information_received",
            "description": "Shipping Label Created, USPS Awaiting Item",
            "event_time": datetime(2024, 8, 2, 17, 4, 11, tzinfo=UTC),
            "location": None,
            "source_event_id": "5d8e0c7b6a5f4e3d2c1b0a9f8e7d6c01",
        },
    )
    assert_event(
        departed,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.IN_TRANSIT,
            "exception_reason": None,
            "raw_status_code": "TRANSIT/package_departed",
            "description": "Departed USPS Regional Facility",
            "event_time": datetime(2024, 8, 4, 6, 40, tzinfo=UTC),
            "location": Location(city="Las Vegas", region="NV", postal_code="89199", country="US"),
            "source_event_id": None,  # this scan came without an object_id
        },
    )
    assert_event(
        attempted,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.DELIVERY_ATTEMPTED,
            "exception_reason": ExceptionReason.DELIVERY_ATTEMPTED,
            "raw_status_code": "FAILURE/notice_left",
            "description": "Notice Left (No Authorized Recipient Available)",
            "event_time": datetime(2024, 8, 5, 19, 2, tzinfo=UTC),
            "location": SPOTSYLVANIA,
            "source_event_id": "5d8e0c7b6a5f4e3d2c1b0a9f8e7d6c33",
        },
    )
    assert_event(
        out,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.OUT_FOR_DELIVERY,
            "exception_reason": None,
            "raw_status_code": "TRANSIT/out_for_delivery",
            "description": "Out for Delivery",
            "event_time": datetime(2024, 8, 5, 12, 31, tzinfo=UTC),
            "location": SPOTSYLVANIA,
            "source_event_id": "5d8e0c7b6a5f4e3d2c1b0a9f8e7d6c22",
        },
    )
    assert_event(
        delivered,
        {
            **USPS,
            **AS_UTC,
            "status": TrackingStatus.DELIVERED,
            "exception_reason": None,
            "raw_status_code": "DELIVERED/delivered",
            "description": (
                "Your item was delivered in or at the mailbox at 10:20 am on August 6, 2024 in SPOTSYLVANIA, VA 22551."
            ),
            "event_time": datetime(2024, 8, 6, 14, 20, tzinfo=UTC),
            "location": SPOTSYLVANIA,
            "source_event_id": "5d8e0c7b6a5f4e3d2c1b0a9f8e7d6c55",
        },
    )


UPS = {
    "source": "shippo",
    "carrier": "ups",
    "tracking_number": "1Z999AA10123456784",
    "service_level": ServiceLevel.NEXT_DAY,
    "raw_service": "ups_next_day_air",
    "signed_by": None,
    # An ETA with a time of day is an instant: the end of the delivery window.
    "estimated_delivery": EstimatedDelivery(
        window_end=datetime(2024, 8, 7, 20, 0, tzinfo=UTC), source=EstimateSource.CARRIER, source_field="data.eta"
    ),
    "location": Location(city="Louisville", region="KY", postal_code="40209", country="US"),
}


def test_unknown_status_and_unknown_substatus_are_kept() -> None:
    transit, held = normalize_file("track_updated_unknown_status.json").events

    assert_event(
        transit,
        {
            **UPS,
            **AS_UTC,
            "status": TrackingStatus.IN_TRANSIT,  # an unlisted substatus leaves the stage as it is
            "exception_reason": None,
            "raw_status_code": "TRANSIT/customs_cleared",
            "description": "Import Scan: cleared by customs",
            "event_time": datetime(2024, 8, 6, 19, 58, tzinfo=UTC),
            "source_event_id": "0f1e2d3c4b5a49687766554433221099",
        },
    )
    assert_event(
        held,
        {
            **UPS,
            **AS_UTC,
            "status": TrackingStatus.UNKNOWN,
            "exception_reason": None,
            "raw_status_code": "ON_HOLD",
            "description": "The package is being held at the UPS facility.",
            "event_time": datetime(2024, 8, 6, 22, 15, tzinfo=UTC),
            "source_event_id": "0f1e2d3c4b5a49687766554433221100",
        },
    )


def test_a_real_offset_on_status_date_is_kept() -> None:
    document = load("track_updated_unknown_status.json")
    document["data"]["tracking_status"]["status_date"] = "2024-08-06T18:15:00-04:00"

    held = normalize_document(document).events[-1]

    assert held.event_time == datetime(2024, 8, 6, 22, 15, tzinfo=UTC)
    assert held.event_local_time == datetime(2024, 8, 6, 18, 15)
    assert held.utc_offset_minutes == -240


def test_missing_status_date_falls_back_to_shippo_object_updated() -> None:
    document = load("track_updated_unknown_status.json")
    document["data"]["tracking_status"].update(status="UNKNOWN", status_date=None)

    held = normalize_document(document).events[-1]

    assert held.status is TrackingStatus.UNKNOWN
    assert held.event_time == datetime(2024, 8, 6, 22, 20, 41, 4000, tzinfo=UTC)


def test_the_same_delivery_twice_normalizes_identically() -> None:
    assert normalize_file("track_updated_history.json") == normalize_file("track_updated_history.json")


def test_transaction_event_carries_no_tracking() -> None:
    normalized = normalize_file("transaction_created.json")
    assert normalized.events == []
    assert normalized.delivery_id is None
    assert normalized.kind == "transaction_created"


@pytest.mark.parametrize(
    ("status", "substatus", "expected"),
    [
        ("TRANSIT", "pickup_available", (TrackingStatus.AVAILABLE_FOR_PICKUP, None)),
        ("TRANSIT", "delayed", (TrackingStatus.DELAYED, ExceptionReason.DELAYED)),
        ("TRANSIT", "address_issue", (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS)),
        ("TRANSIT", "package_held", (TrackingStatus.EXCEPTION, ExceptionReason.HELD)),
        ("FAILURE", "package_damaged", (TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED)),
        ("FAILURE", "package_lost", (TrackingStatus.EXCEPTION, ExceptionReason.LOST)),
        ("FAILURE", "delivery_attempted", (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED)),
        ("FAILURE", None, (TrackingStatus.EXCEPTION, ExceptionReason.OTHER)),
        ("RETURNED", "return_to_sender", (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER)),
        ("RETURNED", "package_undeliverable", (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.OTHER)),
        ("DELIVERED", "other", (TrackingStatus.DELIVERED, None)),
        ("UNKNOWN", None, (TrackingStatus.UNKNOWN, None)),
    ],
)
def test_substatus_refines_the_stage(status: str, substatus: str | None, expected: tuple[Any, Any]) -> None:
    assert classify(status, substatus) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("usps_priority_express", ServiceLevel.NEXT_DAY),
        ("usps_priority", ServiceLevel.TWO_DAY),
        ("usps_ground_advantage", ServiceLevel.GROUND),
        ("ups_next_day_air", ServiceLevel.NEXT_DAY),
        ("ups_second_day_air", ServiceLevel.TWO_DAY),
        ("ups_three_day_select", ServiceLevel.THREE_DAY),
        ("fedex_ground", ServiceLevel.GROUND),
        ("fedex_smart_post", ServiceLevel.ECONOMY),
        ("acme_teleport", None),
        (None, None),
    ],
)
def test_service_levels(token: str | None, expected: ServiceLevel | None) -> None:
    assert service_level(token) == expected


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["data"].pop("tracking_number"), "data.tracking_number"),
        (lambda d: d["data"].pop("carrier"), "data.carrier"),
        (lambda d: d.pop("data"), "data"),
        (lambda d: d.pop("event"), "event"),
        (lambda d: d["data"]["tracking_history"][0].update(status_date=None, object_updated=None),
         "data.tracking_history[0].status_date"),
        (lambda d: d["data"]["tracking_history"][1].update(status_date="soon"), "data.tracking_history[1].status_date"),
        (lambda d: d["data"].update(eta="tomorrow"), "data.eta"),
    ],
)  # fmt: skip
def test_malformed_payload_names_the_field(mutate: Any, field: str) -> None:
    document = load("track_updated_history.json")
    mutate(document)
    with pytest.raises(PayloadError) as caught:
        normalize_document(document)
    assert caught.value.field == field


def test_malformed_json_is_a_body_error() -> None:
    with pytest.raises(PayloadError) as caught:
        SOURCE.normalize(request(b"event=track_updated"), RECEIVED_AT)
    assert caught.value.field == "body"


# --- signature -------------------------------------------------------------------------------
# Valid, signed by sign_request, rotated, wrong secret, tampered, missing header, no secret: test_signatures.py.

BODY = (PAYLOADS / "track_updated_history.json").read_bytes()
NOW = datetime(2024, 8, 6, 14, 32, tzinfo=UTC)
SENT = int(NOW.timestamp()) - 20


def test_stale_timestamp_fails() -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, sign("s3cret", BODY, SENT - 400)), ["s3cret"], NOW)
    assert caught.value.reason == "stale_timestamp"


def test_signed_timestamp_cannot_be_swapped() -> None:
    header = sign("s3cret", BODY, SENT)["shippo-auth-signature"].replace(f"t={SENT}", f"t={SENT + 1}")
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, {"shippo-auth-signature": header}), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize("header", ["v1=abcd", f"t={SENT}", f"t={SENT},v1=zz"])
def test_malformed_header_fails(header: str) -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, {"shippo-auth-signature": header}), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"


def test_url_token_passes_when_no_header() -> None:
    SOURCE.verify(request(BODY, query=token_query("s3cret")), ["s3cret"], NOW)


def test_url_token_accepts_a_rotated_secret() -> None:
    SOURCE.verify(request(BODY, query=token_query("old")), ["new", "old"], NOW)


def test_wrong_url_token_fails() -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, query=token_query("guess")), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"


def test_a_bad_header_does_not_fall_back_to_the_token() -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, sign("other", BODY, SENT), token_query("s3cret")), ["s3cret"], NOW)
    assert caught.value.reason == "bad_signature"


def test_no_secret_configured_refuses_a_url_token_too() -> None:
    with pytest.raises(SignatureError) as caught:
        SOURCE.verify(request(BODY, query=token_query("s3cret")), [], NOW)
    assert caught.value.reason == "not_configured"
