"""Standard Webhooks: base64 HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`.

Secrets look like `whsec_<base64>`; a header may carry several space-separated `v1,<sig>`
values (the sender's own rotation); we accept any configured secret (ours).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from services.carrier_adapter.carriers.base import (
    SignatureError,
    WebhookRequest,
    any_secret_matches,
    hmac_sha256,
    require_header,
    require_secrets,
    signed_unix_time,
)

TOLERANCE_SECONDS = 300


def secret_bytes(secret: str) -> bytes:
    """The key behind a `whsec_` secret (base64); a plain secret is used as UTF-8."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for a body (used by the sign command and tests)."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac_sha256(secret_bytes(secret), message)).decode()


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "generic")
    webhook_id = require_header(request, "webhook-id")
    timestamp_text = require_header(request, "webhook-timestamp")
    signature_header = require_header(request, "webhook-signature")
    timestamp = signed_unix_time(timestamp_text, "webhook-timestamp")
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("stale_timestamp", f"webhook-timestamp is more than {TOLERANCE_SECONDS}s away from now")
    message = f"{webhook_id}.{timestamp}.".encode() + request.body
    expected = [hmac_sha256(secret_bytes(secret), message) for secret in secrets]
    for candidate in signature_header.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if any_secret_matches(expected, given):
            return
    raise SignatureError("bad_signature", "webhook-signature does not match")
