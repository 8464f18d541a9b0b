"""AfterShip Tracking webhook signature: `aftership-hmac-sha256: base64(HMAC-SHA256(secret, raw body))`.

Reference carriers.md §3.3. No timestamp is signed. The body's `ts` is deliberately not checked
for staleness: AfterShip retries the same body for up to ~68 h (§3.4), so an age limit would
reject legitimate retries; replays are absorbed by deduplicating on `event_id`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime

from services.carrier_adapter.carriers.base import (
    SignatureError,
    WebhookRequest,
    any_secret_matches,
    hmac_sha256,
    require_header,
    require_secrets,
)

HEADER = "aftership-hmac-sha256"


def sign(secret: str, body: bytes) -> dict[str, str]:
    """Headers that make `body` pass `verify` (used by the sign command and tests)."""
    return {HEADER: base64.b64encode(hmac_sha256(secret.encode(), body)).decode()}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "aftership")
    header = require_header(request, HEADER)
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("bad_signature", f"{HEADER} is not base64") from exc
    expected = [hmac_sha256(secret.encode(), request.body) for secret in secrets]
    if not any_secret_matches(expected, given):
        raise SignatureError("bad_signature", f"{HEADER} does not match")
