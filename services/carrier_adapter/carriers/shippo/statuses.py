"""Shippo `status` and `substatus.code` → canonical status and exception reason (data).

`status` is Shippo's coarse stage (reference §2.1: UNKNOWN, PRE_TRANSIT, TRANSIT, DELIVERED,
RETURNED, FAILURE); `substatus.code` refines it (the reference found only `information_received`;
the other codes are Shippo's published `substatus.code` enum as listed in its API docs). A final
stage (delivered, returned) is never downgraded by its substatus; the substatus only adds the reason.
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Classified = tuple[TrackingStatus, ExceptionReason | None]

STATUSES: dict[str, Classified] = {
    "UNKNOWN": (TrackingStatus.UNKNOWN, None),
    "PRE_TRANSIT": (TrackingStatus.PRE_TRANSIT, None),
    "TRANSIT": (TrackingStatus.IN_TRANSIT, None),
    "DELIVERED": (TrackingStatus.DELIVERED, None),
    "RETURNED": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    # FAILURE alone does not say a delivery was attempted; the substatus names the cause.
    "FAILURE": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
}

# Substatuses that only say where the parcel is (package_arrived, package_departed, …) are
# deliberately absent: the stage stands.
SUBSTATUSES: dict[str, Classified] = {
    "information_received": (TrackingStatus.PRE_TRANSIT, None),
    "package_accepted": (TrackingStatus.ACCEPTED, None),
    "out_for_delivery": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "pickup_available": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "delivered": (TrackingStatus.DELIVERED, None),
    "return_to_sender": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    "returned_to_sender": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    "delayed": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "delivery_rescheduled": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "delivery_attempted": (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    "notice_left": (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    "location_inaccessible": (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    "reschedule_delivery": (TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    "address_issue": (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    "contact_carrier": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "package_held": (TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    "package_damaged": (TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    "package_lost": (TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    # Disposed parcels will never arrive: for the order it is the same as lost (reship).
    "package_disposed": (TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    "package_unclaimed": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "package_undeliverable": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
}


def classify(status: str | None, substatus: str | None) -> Classified:
    """The canonical (status, reason) for one scan; an unknown `status` stays `unknown`."""
    stage = STATUSES.get((status or "").upper())
    if stage is None:
        return TrackingStatus.UNKNOWN, None
    refined = SUBSTATUSES.get(substatus or "")
    if refined is None:
        return stage
    if stage[0].is_final:
        return stage[0], refined[1] or stage[1]
    return refined
