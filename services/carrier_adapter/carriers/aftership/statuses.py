"""AfterShip `tag` / `subtag` → canonical status and exception reason (data, reference §3.2, §10).

The subtag is looked up first, then the tag. Trap: the `OutForDelivery` tag also covers
"ready to pickup" (AfterShip's tag definition, reference §3.2 and §10). So the legacy subtag
OutForDelivery_002 ("available for pickup") is available_for_pickup, and so is any other
OutForDelivery checkpoint whose message says the parcel waits to be collected.
OutForDelivery_003 ("customer contacted") and _004 ("delivery appointment scheduled") are
listed explicitly: they are on their way to the door whatever the message says.
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Classified = tuple[TrackingStatus, ExceptionReason | None]

TAGS: dict[str, Classified] = {
    "Pending": (TrackingStatus.PRE_TRANSIT, None),
    "InfoReceived": (TrackingStatus.PRE_TRANSIT, None),
    "InTransit": (TrackingStatus.IN_TRANSIT, None),
    "OutForDelivery": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "AttemptFail": (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    "Delivered": (TrackingStatus.DELIVERED, None),
    "AvailableForPickup": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "Exception": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    # Expired: no tracking information for 30 days; nothing is known about the parcel.
    "Expired": (TrackingStatus.UNKNOWN, None),
}

# Subtags whose meaning differs from their tag's default. Subtags absent here take the tag's.
SUBTAGS: dict[str, Classified] = {
    "InTransit_002": (TrackingStatus.ACCEPTED, None),  # acceptance scan
    "OutForDelivery_002": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),  # legacy "available for pickup"
    "OutForDelivery_003": (TrackingStatus.OUT_FOR_DELIVERY, None),  # customer contacted
    "OutForDelivery_004": (TrackingStatus.OUT_FOR_DELIVERY, None),  # delivery appointment scheduled
    "Exception_002": (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),  # customer moved
    "Exception_003": (TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    "Exception_004": (TrackingStatus.DELAYED, ExceptionReason.CUSTOMS),
    "Exception_005": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),  # external factors
    "Exception_006": (TrackingStatus.EXCEPTION, ExceptionReason.HELD),  # held for payment
    "Exception_007": (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),  # incorrect address
    "Exception_008": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),  # pickup missed
    "Exception_009": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),  # rejected by carrier
    "Exception_010": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),  # returning
    "Exception_011": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),  # returned
    "Exception_012": (TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    "Exception_013": (TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    "Exception_016": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),  # processing (vehicle, sort, misroute)
    "Exception_017": (TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    "Exception_018": (TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),  # missing documents
    "Exception_019": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),  # late flight
    "Exception_020": (TrackingStatus.CANCELLED, None),
    # Disposed parcels will never arrive: for the order it is the same as lost (reship).
    "Exception_021": (TrackingStatus.EXCEPTION, ExceptionReason.LOST),
}

# Phrases in a checkpoint's messages that mean the parcel waits to be collected. Specific on
# purpose: a bare "pickup" also appears in messages about the carrier's own pickups.
PICKUP_PHRASES = (
    "ready for pickup",
    "ready for pick up",
    "ready to pickup",
    "ready to pick up",
    "available for pickup",
    "available for pick up",
    "ready for collection",
    "awaiting collection",
)


def classify(tag: str | None, subtag: str | None, *messages: str | None) -> Classified:
    """The canonical (status, reason) for one checkpoint; an unknown tag stays `unknown`.

    `messages` are the checkpoint's human texts (subtag_message, message), read only to tell
    a pickup-ready OutForDelivery from one on its way to the door.
    """
    if subtag in SUBTAGS:
        return SUBTAGS[subtag]
    stage = TAGS.get(tag or "")
    if stage is None:
        return TrackingStatus.UNKNOWN, None
    if stage[0] is TrackingStatus.OUT_FOR_DELIVERY and _says_pickup(messages):
        return TrackingStatus.AVAILABLE_FOR_PICKUP, None
    return stage


def _says_pickup(messages: tuple[str | None, ...]) -> bool:
    text = " ".join(message or "" for message in messages).lower()
    return any(phrase in text for phrase in PICKUP_PHRASES)
