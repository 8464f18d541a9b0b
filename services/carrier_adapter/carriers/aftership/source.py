"""The AfterShip source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.aftership import mapper, signature


class AfterShipSource:
    slug = "aftership"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = AfterShipSource()
