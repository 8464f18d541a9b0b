"""UPS Track Alert authentication: `Authorization: Bearer <token>`, a token our side issues.

UPS signs nothing (carriers.md §4.3, §11). v2 fetches a token from our OAuth2 client-credentials
URL and presents it as a bearer token; v1 sends the subscription's static `credential` with its
`credentialType` ("Bearer"), which arrives in the same `Authorization` header — the reference
documents no separate `credential` header, so there is none to accept. Every configured token is
compared in constant time, so an old and a new token both work during rotation.
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

HEADER = "authorization"
SCHEME = "bearer"


def sign(token: str) -> str:
    """The `Authorization` header value UPS would send with `token`."""
    return f"Bearer {token}"


def auth_headers(secret: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate `body` (the body is not signed by this scheme)."""
    return {HEADER: sign(secret)}


def verify(request: WebhookRequest, secrets: Sequence[str], now: datetime) -> None:
    require_secrets(secrets, "ups")
    scheme, _, token = require_header(request, HEADER).strip().partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise SignatureError("bad_signature", "Authorization is not a bearer token")
    expected = [secret.encode() for secret in secrets]
    if not any_secret_matches(expected, token.strip().encode()):
        raise SignatureError("bad_signature", "bearer token does not match")
