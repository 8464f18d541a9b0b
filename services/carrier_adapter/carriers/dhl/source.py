"""The DHL source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.dhl import mapper, signature


class DhlSource:
    slug = "dhl"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = DhlSource()
