"""UPS Track Alert webhooks (and Track API package histories): bearer token, local times with GMT offset."""

from services.carrier_adapter.carriers.ups.source import SOURCE

__all__ = ["SOURCE"]
