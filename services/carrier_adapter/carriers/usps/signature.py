"""USPS webhook signature: `X-HMAC` = base64(HMAC-SHA256(secret, envelope timestamp + payload)).

UNCERTAIN: this is third-party, partly unconfirmed text (carriers.md §6.2); the official page was
empty (§12). What we implement, exactly as that text says:
- header `X-HMAC`, or its deprecated alias `hmac-header`;
- the signed message is the envelope's `timestamp` string immediately followed by its `payload`
  string, both as the JSON string values the body carries (decoded, never re-serialized), UTF-8;
- because the timestamp is inside the signed content we reject envelopes more than 300 s away
  from `now`. USPS publishes no retry schedule; if it redelivers old envelopes with their original
  timestamp, those retries will be refused as stale — revisit once USPS documents retries.
A timestamp without an offset is read as UTC (the third-party text only says "ISO").
The signature is optional on USPS's side; we require it (no secret configured → not_configured).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from services.carrier_adapter.carriers.base import (
    SignatureError,
    WebhookRequest,
    any_secret_matches,
    hmac_sha256,
    require_secrets,
)

HEADERS = ("x-hmac", "hmac-header")
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: str, payload: str) -> str:
    """The `X-HMAC` header value for an envelope's timestamp and payload string."""
    return base64.b64encode(hmac_sha256(secret.encode(), (timestamp + payload).encode())).decode()


def auth_headers(secret: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate an envelope body (used by the sign command and tests)."""
    timestamp, payload = _signed_parts(body)
    return {HEADERS[0]: sign(secret, timestamp, payload)}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "usps")
    header = _signature_header(request)
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("bad_signature", "X-HMAC is not base64") from exc
    timestamp, payload = _signed_parts(request.body)
    message = (timestamp + payload).encode()
    if not any_secret_matches([hmac_sha256(secret.encode(), message) for secret in secrets], given):
        raise SignatureError("bad_signature", "X-HMAC does not match")
    if abs((now - _instant(timestamp)).total_seconds()) > TOLERANCE_SECONDS:
        raise SignatureError("stale_timestamp", f"envelope timestamp is more than {TOLERANCE_SECONDS}s away from now")


def _signature_header(request: WebhookRequest) -> str:
    for name in HEADERS:
        value = request.headers.get(name)
        if value:
            return value
    raise SignatureError("missing_signature", "header X-HMAC is missing")


def _signed_parts(body: bytes) -> tuple[str, str]:
    """The envelope's `timestamp` and `payload` strings; anything else cannot be verified."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureError("bad_signature", "body is not a JSON envelope") from exc
    if not isinstance(envelope, dict):
        raise SignatureError("bad_signature", "body is not a JSON envelope")
    timestamp, payload = envelope.get("timestamp"), envelope.get("payload")
    if not isinstance(timestamp, str) or not isinstance(payload, str):
        raise SignatureError("bad_signature", "envelope needs string fields timestamp and payload")
    return timestamp, payload


def _instant(timestamp: str) -> datetime:
    try:
        moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SignatureError("bad_timestamp", "envelope timestamp is not ISO 8601") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
