"""USPS Subscriptions-Tracking webhooks: X-HMAC over timestamp + payload, local times with offset."""

from services.carrier_adapter.carriers.usps.source import SOURCE

__all__ = ["SOURCE"]
