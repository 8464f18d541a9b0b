"""Webhook sources, one self-contained package each; discovered, so adding one edits no other."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from services.carrier_adapter.carriers.base import CarrierSource


@cache
def all_sources() -> dict[str, CarrierSource]:
    """Every package under `carriers/` that exposes `SOURCE`, by slug."""
    sources: dict[str, CarrierSource] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        source = getattr(module, "SOURCE", None)
        if source is not None:
            sources[source.slug] = source
    return sources
