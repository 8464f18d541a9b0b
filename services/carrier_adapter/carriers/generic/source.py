"""The generic source object the adapter discovers."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.carrier_adapter.carriers.generic import mapper, signature


class GenericSource:
    slug = "generic"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)

    @staticmethod
    def sign_request(body: bytes, secret: str, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
        webhook_id = f"msg_{uuid.uuid4().hex}"
        timestamp = int(now.timestamp())
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature.sign(secret, webhook_id, timestamp, body),
        }
        return headers, {}


SOURCE = GenericSource()
