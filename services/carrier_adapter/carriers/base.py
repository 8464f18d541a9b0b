"""What every webhook source package provides, and the errors it may raise.

A source package (`carriers/<slug>/`) exposes `SOURCE`, an object with:
- `slug` and `content_types`;
- `verify(request, secrets, now)`: checks the source's own authentication on the raw bytes,
  constant-time, accepting any of several secrets (rotation); raises `SignatureError`;
- `normalize(request, received_at)`: a pure mapping of the raw request to a `Normalized` result;
  raises `PayloadError` naming the field that is missing or wrong;
- `sign_request(body, secret, now)`: the (headers, query) a sender would attach, so the sign
  command and tests can produce valid deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.common.contracts.tracking import EstimatedDelivery, TrackingUpdated
from services.common.vocab import ServiceLevel


class SignatureError(Exception):
    """Authentication failed; `reason` is a short, metric-friendly word."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class PayloadError(Exception):
    """The body cannot be understood; `field` names where (a dotted path)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


# A signed timestamp is seconds since 1970; more than 11 digits is past the year 5000 and can
# only be garbage (and comparing a 400-digit integer with a float overflows).
MAX_UNIX_TIME_DIGITS = 11


def signed_unix_time(text: str, where: str) -> int:
    """The integer seconds of a signature's timestamp; anything else is `SignatureError`."""
    text = text.strip()
    if not text.isdigit() or len(text) > MAX_UNIX_TIME_DIGITS:
        raise SignatureError("bad_timestamp", f"{where} is not a unix time in seconds")
    return int(text)


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request a signature check may need. Header names are lower case."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class ShipmentFacts:
    """What a tracker says about the whole shipment, copied onto every scan it carries."""

    carrier: str
    tracking_number: str
    estimate: EstimatedDelivery | None
    service_level: ServiceLevel | None
    raw_service: str | None
    signed_by: str | None = None


@dataclass(frozen=True)
class Normalized:
    """What one delivery means: the sender's delivery id (if it has one), one event per scan, and
    its kind — the sender's event type when it carries no tracking (a batch or label event),
    which is stored and acknowledged but publishes nothing."""

    events: list[TrackingUpdated]
    delivery_id: str | None = None
    kind: str = "tracking"


class CarrierSource(Protocol):
    slug: str
    content_types: tuple[str, ...]

    def verify(self, request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None: ...

    def normalize(self, request: WebhookRequest, received_at: datetime) -> Normalized: ...

    def sign_request(self, body: bytes, secret: str, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query parameters a sender using `secret` would attach (for tests and integrators)."""
        ...


def hmac_sha256(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def any_secret_matches(candidates: Sequence[bytes], given: bytes) -> bool:
    """Constant-time comparison of `given` against every expected value (no early exit)."""
    matched = False
    for expected in candidates:
        matched |= hmac.compare_digest(expected, given)
    return matched


def require_header(request: WebhookRequest, name: str) -> str:
    value = request.headers.get(name.lower())
    if not value:
        raise SignatureError("missing_signature", f"header {name} is missing")
    return value


def require_secrets(secrets: Sequence[str], slug: str) -> None:
    if not secrets:
        raise SignatureError("not_configured", f"no secret is configured for source {slug}")


def event_dedupe_key(event: TrackingUpdated) -> str:
    """The identity of one scan: the sender's per-scan id where it has one, else the derived
    (carrier, tracking number, UTC event time, raw code)."""
    if event.source_event_id:
        return f"{event.carrier}|{event.tracking_number}|id:{event.source_event_id}"
    code = event.raw_status_code or event.status.value
    return f"{event.carrier}|{event.tracking_number}|{event.event_time.isoformat()}|{code}"


def unique_scans(events: list[TrackingUpdated]) -> list[TrackingUpdated]:
    """Drop scans a payload repeats (histories echo the latest status); the first copy wins and
    the sender's order is kept."""
    seen: dict[str, TrackingUpdated] = {}
    for event in events:
        seen.setdefault(event_dedupe_key(event), event)
    return list(seen.values())
