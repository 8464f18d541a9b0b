"""Shippo tracking webhooks (`track_updated` with a `Track`), reference carriers.md §2."""

from services.carrier_adapter.carriers.shippo.source import SOURCE

__all__ = ["SOURCE"]
