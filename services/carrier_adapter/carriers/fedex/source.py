"""The FedEx source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.fedex import mapper, signature


class FedexSource:
    slug = "fedex"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = FedexSource()
