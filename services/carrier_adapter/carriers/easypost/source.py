"""The EasyPost source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.easypost import mapper, signature


class EasyPostSource:
    slug = "easypost"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = EasyPostSource()
