"""Our own canonical format, signed per Standard Webhooks (https://www.standardwebhooks.com)."""

from services.carrier_adapter.carriers.generic.source import SOURCE

__all__ = ["SOURCE"]
