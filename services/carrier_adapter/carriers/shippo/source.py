"""The Shippo source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.shippo import mapper, signature


class ShippoSource:
    slug = "shippo"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = ShippoSource()
