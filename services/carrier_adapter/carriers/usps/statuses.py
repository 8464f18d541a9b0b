"""USPS tracking events → (canonical status, exception reason).

USPS's full event-code table was not found (carriers.md §6.1), so codes come first only where
the reference shows them; everything else is read from the scan's own `eventType` text, first
phrase found wins. The phrases cover the `statusCategory` vocabulary (§6.2): Pre-Shipment is
pre_transit (karrio's default turns it into in_transit, §9.3) and "Alert" is an exception whose
text names the cause. The document-level `statusCategory` is not copied onto scans: it describes
only the newest one, and guessing which that is would mislabel the others.
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Entry = tuple[TrackingStatus, ExceptionReason | None]

_IN_TRANSIT: Entry = (TrackingStatus.IN_TRANSIT, None)
_ACCEPTED: Entry = (TrackingStatus.ACCEPTED, None)
_PRE_TRANSIT: Entry = (TrackingStatus.PRE_TRANSIT, None)

BY_EVENT_CODE: dict[str, Entry] = {
    "GX": _PRE_TRANSIT,  # Shipping Label Created, USPS Awaiting Item
    "MA": _PRE_TRANSIT,  # pre-shipment info sent (3rd-party eHub table)
    "03": _ACCEPTED,  # USPS in possession of item
    "OA": _ACCEPTED,
    "UA": _ACCEPTED,
    "83": _ACCEPTED,
    "89": _ACCEPTED,
    "TM": _ACCEPTED,
    "AD": _ACCEPTED,
    "10": _IN_TRANSIT,
    "SF": _IN_TRANSIT,
    "T1": _IN_TRANSIT,
    "TL": _IN_TRANSIT,
    "A1": _IN_TRANSIT,
    "07": _IN_TRANSIT,
    "OF": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "01": (TrackingStatus.DELIVERED, None),
}

# Ordered, specific before general: attempts and "undeliverable" before "delivered", and
# "held in customs" before "held". Matched lower-case against the event text.
PHRASES: tuple[tuple[str, TrackingStatus, ExceptionReason | None], ...] = (
    ("pre-shipment", TrackingStatus.PRE_TRANSIT, None),
    ("label created", TrackingStatus.PRE_TRANSIT, None),
    ("awaiting item", TrackingStatus.PRE_TRANSIT, None),
    ("out for delivery", TrackingStatus.OUT_FOR_DELIVERY, None),
    ("delivery attempt", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("notice left", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("no authorized recipient", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("available for pickup", TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    ("return to sender", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ("undeliverable", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    ("delivered", TrackingStatus.DELIVERED, None),
    ("refused", TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    ("address", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    ("damaged", TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    ("held in customs", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("weather", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    ("delay", TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    ("missent", TrackingStatus.EXCEPTION, ExceptionReason.MISSORTED),
    ("held", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("accepted", TrackingStatus.ACCEPTED, None),
    ("acceptance", TrackingStatus.ACCEPTED, None),
    ("in possession", TrackingStatus.ACCEPTED, None),
    ("picked up", TrackingStatus.ACCEPTED, None),
    ("arrived", TrackingStatus.IN_TRANSIT, None),
    ("departed", TrackingStatus.IN_TRANSIT, None),
    ("in transit", TrackingStatus.IN_TRANSIT, None),
    ("processed", TrackingStatus.IN_TRANSIT, None),
    ("forwarded", TrackingStatus.IN_TRANSIT, None),
    ("customs clearance", TrackingStatus.IN_TRANSIT, None),
    ("alert", TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
)
