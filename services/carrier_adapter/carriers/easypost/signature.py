"""EasyPost legacy webhook signature: `X-Hmac-Signature: hmac-sha256-hex=<hex>` over the raw body.

The key is the webhook secret NFKD-normalized then UTF-8 encoded, as EasyPost's own SDK does
(reference carriers.md §1.3). No timestamp is signed, so there is no replay window to enforce;
replays are absorbed by deduplicating on the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
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

HEADER = "x-hmac-signature"
PREFIX = "hmac-sha256-hex="


def secret_key(secret: str) -> bytes:
    """The HMAC key EasyPost derives from a webhook secret."""
    return unicodedata.normalize("NFKD", secret).encode("utf-8")


def sign(secret: str, body: bytes) -> dict[str, str]:
    """Headers that make `body` pass `verify` (used by the sign command and tests)."""
    digest = hmac.new(secret_key(secret), body, hashlib.sha256).hexdigest()
    return {HEADER: PREFIX + digest}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "easypost")
    header = require_header(request, HEADER)
    if not header.startswith(PREFIX):
        raise SignatureError("bad_signature", f"{HEADER} does not start with {PREFIX}")
    try:
        given = bytes.fromhex(header.removeprefix(PREFIX))
    except ValueError as exc:
        raise SignatureError("bad_signature", f"{HEADER} is not hex") from exc
    expected = [hmac_sha256(secret_key(secret), request.body) for secret in secrets]
    if not any_secret_matches(expected, given):
        raise SignatureError("bad_signature", f"{HEADER} does not match")
