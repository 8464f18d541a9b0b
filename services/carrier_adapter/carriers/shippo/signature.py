"""Shippo webhook authentication: the HMAC header when present, else the URL token.

Reference carriers.md §2.2: Shippo offers a self-generated URL token (`?token=…`, echoed on every
POST) and an HMAC provisioned by Shippo support, read as
`Shippo-Auth-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>` with a 300 s
window ([3rd-party], unverified). A request carrying the header must pass the HMAC; the token
is only consulted when the header is absent, so a bad signature cannot fall back to a token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from services.carrier_adapter.carriers.base import (
    SignatureError,
    WebhookRequest,
    any_secret_matches,
    hmac_sha256,
    require_secrets,
    signed_unix_time,
)

HEADER = "shippo-auth-signature"
TOKEN_PARAMETER = "token"
TOLERANCE_SECONDS = 300


def signed_message(timestamp: int, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Headers that make `body` pass `verify` at `timestamp` (used by the sign command and tests)."""
    digest = hmac.new(secret.encode(), signed_message(timestamp, body), hashlib.sha256).hexdigest()
    return {HEADER: f"t={timestamp},v1={digest}"}


def token_query(secret: str) -> dict[str, str]:
    """The query string Shippo's URL-token scheme echoes on every POST."""
    return {TOKEN_PARAMETER: secret}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "shippo")
    header = request.headers.get(HEADER)
    if header:
        _verify_hmac(header, request.body, secrets, now)
        return
    token = request.query.get(TOKEN_PARAMETER)
    if not token:
        raise SignatureError("missing_signature", f"neither header {HEADER} nor ?{TOKEN_PARAMETER}= is present")
    expected = [secret.encode() for secret in secrets]
    if not any_secret_matches(expected, token.encode()):
        raise SignatureError("bad_signature", f"?{TOKEN_PARAMETER}= does not match")


def _parse(header: str) -> tuple[int, list[str]]:
    """`t=<unix>,v1=<hex>[,v1=<hex>…]` → (timestamp, signatures)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = signed_unix_time(value, f"{HEADER} t=")
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("bad_signature", f"{HEADER} needs t=<unix> and v1=<hex>")
    return timestamp, signatures


def _verify_hmac(header: str, body: bytes, secrets: Sequence[str], now: datetime) -> None:
    timestamp, signatures = _parse(header)
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("stale_timestamp", f"{HEADER} t= is more than {TOLERANCE_SECONDS}s away from now")
    message = signed_message(timestamp, body)
    expected = [hmac_sha256(secret.encode(), message) for secret in secrets]
    for signature in signatures:
        try:
            given = bytes.fromhex(signature)
        except ValueError:
            continue
        if any_secret_matches(expected, given):
            return
    raise SignatureError("bad_signature", f"{HEADER} does not match")
