"""DHL Shipment Tracking Unified push: static API-key header, shipments with naive local times."""

from services.carrier_adapter.carriers.dhl.source import SOURCE

__all__ = ["SOURCE"]
