"""EasyPost `status` and `status_detail` → canonical status and exception reason (data, reference §1.2, §10).

`status` gives the broad stage; a `status_detail` listed in DETAILS refines it (a weather delay
reported under `in_transit` is a delay). A final stage (delivered, returned, cancelled) is never
downgraded by its detail; the detail only adds the reason.
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Classified = tuple[TrackingStatus, ExceptionReason | None]

STATUSES: dict[str, Classified] = {
    "unknown": (TrackingStatus.UNKNOWN, None),
    "pre_transit": (TrackingStatus.PRE_TRANSIT, None),
    "in_transit": (TrackingStatus.IN_TRANSIT, None),
    "out_for_delivery": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "delivered": (TrackingStatus.DELIVERED, None),
    "available_for_pickup": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "return_to_sender": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    # `failure` does not say a delivery was attempted (§10 lumps it with attempts; we only claim
    # an attempt when the sender says so); the detail usually names the cause.
    "failure": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "cancelled": (TrackingStatus.CANCELLED, None),
    # `error` means EasyPost could not track the code, not that the parcel has a problem.
    "error": (TrackingStatus.UNKNOWN, None),
}

# Details that change the meaning of the stage. Details that only say where the parcel is
# (arrived_at_facility, departed_facility, …) are deliberately absent: the stage stands.
DETAILS: dict[str, Classified] = {
    "label_created": (TrackingStatus.PRE_TRANSIT, None),
    # The first carrier scan: the parcel is in the carrier's hands (§10 "picked_up").
    "received_at_origin_facility": (TrackingStatus.ACCEPTED, None),
    "out_for_delivery": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "arrived_at_pickup_location": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "weather_delay": (TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    "delayed": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "missorted": (TrackingStatus.DELAYED, ExceptionReason.MISSORTED),
    "held": (TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    "refused": (TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    "damaged": (TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    "lost": (TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    "address_correction": (TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    "delivery_exception": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "transit_exception": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "failure": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "return": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    "cancelled": (TrackingStatus.CANCELLED, None),
}


def classify(status: str | None, detail: str | None) -> Classified:
    """The canonical (status, reason) for one scan; an unknown `status` stays `unknown`."""
    stage = STATUSES.get(status or "")
    if stage is None:
        return TrackingStatus.UNKNOWN, None
    refined = DETAILS.get(detail or "")
    if refined is None:
        return stage
    if stage[0].is_final:
        return stage[0], refined[1] or stage[1]
    return refined
