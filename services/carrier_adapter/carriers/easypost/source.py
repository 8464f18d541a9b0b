"""The EasyPost source object the adapter discovers."""

from __future__ import annotations

from datetime import datetime

from services.carrier_adapter.carriers.easypost import mapper, signature


class EasyPostSource:
    slug = "easypost"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)

    @staticmethod
    def sign_request(body: bytes, secret: str, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query a sender using `secret` would attach (sign command, tests)."""
        return signature.sign(secret, body), {}


SOURCE = EasyPostSource()
