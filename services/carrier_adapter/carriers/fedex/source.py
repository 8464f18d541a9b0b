"""The FedEx source object the adapter discovers."""

from __future__ import annotations

from datetime import datetime

from services.carrier_adapter.carriers.fedex import mapper, signature


class FedexSource:
    slug = "fedex"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)

    @staticmethod
    def sign_request(body: bytes, secret: str, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
        return signature.auth_headers(secret, body), {}


SOURCE = FedexSource()
