"""The authentication checks every source shares, run against each source's own recorded body.

One row of `CASES` per source: the body and clock its deliveries are checked at, how a sender with
a given secret signs (the source's own signing helper), and a tampering the signature must catch.
What only one source does (NFKD secrets, stale timestamps, URL tokens, header aliases, …) is
tested in that source's own file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.carrier_adapter.carriers import aftership, dhl, easypost, fedex, shippo, ups, usps
from services.carrier_adapter.carriers.aftership import signature as aftership_signature
from services.carrier_adapter.carriers.base import CarrierSource, SignatureError, WebhookRequest
from services.carrier_adapter.carriers.dhl import signature as dhl_signature
from services.carrier_adapter.carriers.easypost import signature as easypost_signature
from services.carrier_adapter.carriers.fedex import signature as fedex_signature
from services.carrier_adapter.carriers.shippo import signature as shippo_signature
from services.carrier_adapter.carriers.ups import signature as ups_signature
from services.carrier_adapter.carriers.usps import signature as usps_signature

PAYLOADS = Path(__file__).parent / "payloads"


@dataclass(frozen=True)
class SignatureCase:
    source: CarrierSource
    body_file: str
    now: datetime
    # The headers a sender holding `secret` attaches to `body`.
    sign: Callable[[str, bytes], dict[str, str]]
    # An edit of the body the signature must catch; None where the credential is a static
    # token that does not bind the body (UPS, DHL).
    tamper: Callable[[bytes], bytes] | None

    @property
    def body(self) -> bytes:
        return (PAYLOADS / self.source.slug / self.body_file).read_bytes()

    def verify(
        self,
        headers: dict[str, str],
        secrets: list[str],
        *,
        body: bytes | None = None,
        query: dict[str, str] | None = None,
    ) -> None:
        request = WebhookRequest("POST", f"/webhooks/{self.source.slug}", headers, query or {}, body or self.body)
        self.source.verify(request, secrets, self.now)


SHIPPO_NOW = datetime(2024, 8, 6, 14, 32, tzinfo=UTC)


def _shippo_sign(secret: str, body: bytes) -> dict[str, str]:
    # Signed 20 s before the check: well inside Shippo's tolerance.
    return shippo_signature.sign(secret, body, int(SHIPPO_NOW.timestamp()) - 20)


CASES = [
    SignatureCase(
        easypost.SOURCE,
        "tracker_updated_history.json",
        datetime(2024, 8, 3, 19, 6, 20, tzinfo=UTC),
        easypost_signature.sign,
        tamper=lambda body: body + b" ",
    ),
    SignatureCase(
        shippo.SOURCE,
        "track_updated_history.json",
        SHIPPO_NOW,
        _shippo_sign,
        tamper=lambda body: body.replace(b"DELIVERED", b"RETURNED"),
    ),
    SignatureCase(
        aftership.SOURCE,
        "tracking_update_history.json",
        datetime(2024, 5, 3, 20, 22, 30, tzinfo=UTC),
        aftership_signature.sign,
        tamper=lambda body: body.replace(b"A.JONES", b"B.JONES"),
    ),
    SignatureCase(
        fedex.SOURCE,
        "history_out_of_order.json",
        datetime(2024, 4, 26, 16, 30, tzinfo=UTC),
        fedex_signature.auth_headers,
        tamper=lambda body: body.replace(b'"DL"', b'"DE"', 1),
    ),
    SignatureCase(
        usps.SOURCE,
        "delivered_history.json",
        # 48 s after the envelope's timestamp (2024-11-22T18:59:12Z).
        datetime(2024, 11, 22, 19, 0, tzinfo=UTC),
        usps_signature.auth_headers,
        tamper=lambda body: body.replace(b"In/At Mailbox", b"Front Porch", 1),
    ),
    SignatureCase(
        ups.SOURCE,
        "alert_delivered.json",
        datetime(2024, 4, 24, 18, 0, tzinfo=UTC),
        ups_signature.auth_headers,
        tamper=None,
    ),
    SignatureCase(
        dhl.SOURCE,
        "express_history_naive.json",
        datetime(2024, 7, 16, 15, 0, tzinfo=UTC),
        dhl_signature.auth_headers,
        tamper=None,
    ),
]
EVERY_SOURCE = pytest.mark.parametrize("case", CASES, ids=lambda case: case.source.slug)
BODY_BINDING = pytest.mark.parametrize(
    "case", [case for case in CASES if case.tamper is not None], ids=lambda case: case.source.slug
)


def _rejected(case: SignatureCase, headers: dict[str, str], secrets: list[str], *, body: bytes | None = None) -> str:
    """The reason the source gives for refusing the delivery (it must refuse it)."""
    with pytest.raises(SignatureError) as caught:
        case.verify(headers, secrets, body=body)
    return caught.value.reason


@EVERY_SOURCE
def test_valid_signature_passes(case: SignatureCase) -> None:
    case.verify(case.sign("s3cret", case.body), ["s3cret"])


@EVERY_SOURCE
def test_sign_request_produces_a_verifiable_delivery(case: SignatureCase) -> None:
    headers, query = case.source.sign_request(case.body, "s3cret", case.now)
    case.verify(headers, ["s3cret"], query=query)


@EVERY_SOURCE
def test_rotated_secret_passes(case: SignatureCase) -> None:
    case.verify(case.sign("old", case.body), ["new", "old"])


@EVERY_SOURCE
def test_wrong_secret_fails(case: SignatureCase) -> None:
    assert _rejected(case, case.sign("other", case.body), ["new", "old"]) == "bad_signature"


@BODY_BINDING
def test_tampered_body_fails(case: SignatureCase) -> None:
    assert case.tamper is not None
    tampered = case.tamper(case.body)
    assert tampered != case.body
    assert _rejected(case, case.sign("s3cret", case.body), ["s3cret"], body=tampered) == "bad_signature"


@EVERY_SOURCE
def test_missing_header_fails(case: SignatureCase) -> None:
    assert _rejected(case, {}, ["s3cret"]) == "missing_signature"


@EVERY_SOURCE
def test_no_secret_configured(case: SignatureCase) -> None:
    assert _rejected(case, case.sign("s3cret", case.body), []) == "not_configured"
