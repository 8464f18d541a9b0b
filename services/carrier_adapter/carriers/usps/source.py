"""The USPS source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.usps import mapper, signature


class UspsSource:
    slug = "usps"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = UspsSource()
