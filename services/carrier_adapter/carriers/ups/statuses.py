"""UPS activity status → (canonical status, exception reason): code first, then activity type.

Why the code wins: type `D` means "delivery information (loaded on delivery vehicle, out for
delivery, delivered)" and type `I` + code `OT` is out for delivery (carriers.md §4.2; karrio's
type-first lookup gets both wrong, §9.3). The code table lists only codes whose meaning overrides
the type; the full UPS "Status Codes" document was not retrieved (§12).
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Entry = tuple[TrackingStatus, ExceptionReason | None]

BY_CODE: dict[str, Entry] = {
    # FS is the spec's delivered example (§4.2); KB and F4 from karrio's table (§9.3); KM from a 3rd-party list.
    "FS": (TrackingStatus.DELIVERED, None),
    "KB": (TrackingStatus.DELIVERED, None),
    "F4": (TrackingStatus.DELIVERED, None),
    "KM": (TrackingStatus.DELIVERED, None),
    "OT": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "OF": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "OD": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "PU": (TrackingStatus.ACCEPTED, None),
    "OR": (TrackingStatus.ACCEPTED, None),
    "RS": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
}

BY_TYPE: dict[str, Entry] = {
    "M": (TrackingStatus.PRE_TRANSIT, None),
    "MV": (TrackingStatus.CANCELLED, None),
    "I": (TrackingStatus.IN_TRANSIT, None),
    "X": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    # "Update: scheduled delivery changed" — the crosswalk (§10) reads it as a delay; the new date
    # travels in the estimate, so the consumer can still see the direction of the change.
    "U": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
}

# Type D with a code not in BY_CODE: delivered only when UPS also gives an actual delivery date.
TYPE_D_DELIVERED: Entry = (TrackingStatus.DELIVERED, None)
TYPE_D_NOT_DELIVERED: Entry = (TrackingStatus.OUT_FOR_DELIVERY, None)

# Exceptions and delays carry their cause only in the description text; first phrase found wins.
# The status applies when the base status is `exception`; a delay stays a delay.
DESCRIPTION_RULES: tuple[tuple[str, TrackingStatus, ExceptionReason], ...] = (
    ("not available", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("attempt", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("business was closed", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("refused", TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    ("return", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ("address", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    ("damage", TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    ("weather", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    ("customs", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("brokerage", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("clearance", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("missort", TrackingStatus.EXCEPTION, ExceptionReason.MISSORTED),
    ("lost", TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    ("hold", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("held", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("delay", TrackingStatus.DELAYED, ExceptionReason.DELAYED),
)

REFINABLE = frozenset({TrackingStatus.EXCEPTION, TrackingStatus.DELAYED})
