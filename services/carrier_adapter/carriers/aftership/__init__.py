"""AfterShip Tracking webhooks (`tracking_update`, `edd_revise`), reference carriers.md §3."""

from services.carrier_adapter.carriers.aftership.source import SOURCE

__all__ = ["SOURCE"]
