"""The UPS source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.ups import mapper, signature


class UpsSource:
    slug = "ups"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = UpsSource()
