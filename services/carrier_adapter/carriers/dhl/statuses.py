"""DHL unified `statusCode` → (canonical status, exception reason), refined by the event text.

The five codes (carriers.md §7.1) are coarse: `transit` also covers out-for-delivery and ready
for pickup, and `failure` says nothing about why. So for those two the description decides,
first phrase found wins. `pre-transit` is pre_transit (karrio leaves it unmapped) and `unknown`
stays unknown (karrio calls it delivery_delayed, §9.3).
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Entry = tuple[TrackingStatus, ExceptionReason | None]

BY_STATUS_CODE: dict[str, Entry] = {
    "pre-transit": (TrackingStatus.PRE_TRANSIT, None),
    "transit": (TrackingStatus.IN_TRANSIT, None),
    "delivered": (TrackingStatus.DELIVERED, None),
    "failure": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "unknown": (TrackingStatus.UNKNOWN, None),
}

_TRANSIT_RULES: tuple[tuple[str, TrackingStatus, ExceptionReason | None], ...] = (
    ("out for delivery", TrackingStatus.OUT_FOR_DELIVERY, None),
    ("with delivery courier", TrackingStatus.OUT_FOR_DELIVERY, None),
    ("loaded onto the delivery vehicle", TrackingStatus.OUT_FOR_DELIVERY, None),
    ("ready for pick", TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    ("available for pick", TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    ("ready for collection", TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    ("return", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ("clearance delay", TrackingStatus.DELAYED, ExceptionReason.CUSTOMS),
    ("weather", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    ("delay", TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    ("on hold", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
)

_FAILURE_RULES: tuple[tuple[str, TrackingStatus, ExceptionReason | None], ...] = (
    ("attempt", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("not at home", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("recipient not", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("closed", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("refused", TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    ("return", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ("address", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    ("damage", TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    ("customs", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("clearance", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("weather", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    ("lost", TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    ("missort", TrackingStatus.EXCEPTION, ExceptionReason.MISSORTED),
    ("hold", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("delay", TrackingStatus.DELAYED, ExceptionReason.DELAYED),
)

DESCRIPTION_RULES: dict[str, tuple[tuple[str, TrackingStatus, ExceptionReason | None], ...]] = {
    "transit": _TRANSIT_RULES,
    "failure": _FAILURE_RULES,
}
