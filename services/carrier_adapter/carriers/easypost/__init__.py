"""EasyPost tracker webhooks (`Event` objects carrying a `Tracker`), reference carriers.md §1."""

from services.carrier_adapter.carriers.easypost.source import SOURCE

__all__ = ["SOURCE"]
