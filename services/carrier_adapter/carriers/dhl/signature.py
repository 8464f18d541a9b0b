"""DHL unified push authentication: a static token in a header we name (`ApiKeyAuthentication`).

carriers.md §7.2: the subscription says `hook.authentication = {type: "ApiKeyAuthentication",
header: "<your header name>", token: "<your token>"}` and DHL sends the token in that header; no
HMAC, no timestamp. DHL fixes no header name, so ours is `HEADER` below — the subscription must
use exactly this name. Every configured token is compared in constant time (rotation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.carrier_adapter.carriers.base import (
    SignatureError,
    WebhookRequest,
    any_secret_matches,
    require_header,
    require_secrets,
)

HEADER = "x-dhl-webhook-token"
SUBSCRIPTION_AUTH_TYPE = "ApiKeyAuthentication"


def sign(token: str) -> str:
    """The header value DHL sends for `token` (the token itself)."""
    return token


def auth_headers(secret: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate `body` (the body is not signed by this scheme)."""
    return {HEADER: sign(secret)}


def subscription_authentication(token: str) -> dict[str, str]:
    """The `hook.authentication` object to register with DHL so its pushes pass `verify`."""
    return {"type": SUBSCRIPTION_AUTH_TYPE, "header": HEADER, "token": token}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "dhl")
    given = require_header(request, HEADER).strip().encode()
    if not any_secret_matches([secret.encode() for secret in secrets], given):
        raise SignatureError("bad_signature", f"{HEADER} does not match")
