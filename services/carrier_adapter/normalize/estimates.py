"""Carrier delivery estimates from a sender's (start, end) times."""

from __future__ import annotations

from datetime import datetime

from services.common.contracts.tracking import EstimatedDelivery
from services.common.vocab import EstimateSource


def carrier_estimate(start: datetime | None, end: datetime, source_field: str) -> EstimatedDelivery:
    """A window when the times carry offsets; a naive time only tells the (destination-local) date."""
    aware = end.tzinfo is not None
    return EstimatedDelivery(
        date=end.date(),
        window_start=start if aware and start is not None and start.tzinfo is not None else None,
        window_end=end if aware else None,
        source=EstimateSource.CARRIER,
        source_field=source_field,
    )
