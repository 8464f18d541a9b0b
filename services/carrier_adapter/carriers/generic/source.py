"""The generic source object the adapter discovers."""

from __future__ import annotations

from services.carrier_adapter.carriers.generic import mapper, signature


class GenericSource:
    slug = "generic"
    content_types = ("application/json",)
    verify = staticmethod(signature.verify)
    normalize = staticmethod(mapper.normalize)


SOURCE = GenericSource()
