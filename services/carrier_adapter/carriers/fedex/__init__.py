"""FedEx tracking webhooks: base64 HMAC-SHA256 of the body, Track-API output with ISO times."""

from services.carrier_adapter.carriers.fedex.source import SOURCE

__all__ = ["SOURCE"]
