"""FedEx webhook signature: `fdx-signature` = base64(HMAC-SHA256(security token, raw body)).

carriers.md §5.2: no timestamp is signed, so there is no tolerance to enforce; replays are
harmless because the adapter dedupes per scan. Every configured token is tried (rotation).
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

HEADER = "fdx-signature"


def sign(secret: str, body: bytes) -> str:
    """The `fdx-signature` header value for `body`."""
    return base64.b64encode(hmac_sha256(secret.encode(), body)).decode()


def auth_headers(secret: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate `body` (used by the sign command and tests)."""
    return {HEADER: sign(secret, body)}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "fedex")
    header = require_header(request, HEADER)
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("bad_signature", "fdx-signature is not base64") from exc
    expected = [hmac_sha256(secret.encode(), request.body) for secret in secrets]
    if not any_secret_matches(expected, given):
        raise SignatureError("bad_signature", "fdx-signature does not match")
