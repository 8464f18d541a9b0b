"""The Shippo source object the adapter discovers."""

from __future__ import annotations

from datetime import datetime

from services.carrier_adapter.carriers.shippo import mapper, signature


class ShippoSource:
    slug = "shippo"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)

    @staticmethod
    def sign_request(body: bytes, secret: str, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query a sender using `secret` would attach (sign command, tests)."""
        # The HMAC header, not the URL token: it also binds the body and the time.
        return signature.sign(secret, body, int(now.timestamp())), {}


SOURCE = ShippoSource()
