"""FedEx scan `eventType` → (canonical status, exception reason).

From the FedEx code table (carriers.md §5.4), not karrio's mapping (§9.3), which files `OF`
("at FedEx origin facility") under picked-up and invents `PY`, `MD`, `HA`. Codes that do not
describe the parcel's movement (return-label link events RP/LP/RG/RD) are left out on purpose and
come out as `unknown` with their raw code.
"""

from __future__ import annotations

from services.common.vocab import ExceptionReason, TrackingStatus

Entry = tuple[TrackingStatus, ExceptionReason | None]

_IN_TRANSIT: Entry = (TrackingStatus.IN_TRANSIT, None)
_MOVEMENT_CODES = ("AA", "AC", "AF", "AR", "AX", "DP", "EA", "EO", "FD", "LO", "OF", "PF", "PL", "PM", "SF", "TR")

BY_EVENT_TYPE: dict[str, Entry] = {
    "OC": (TrackingStatus.PRE_TRANSIT, None),
    "OX": (TrackingStatus.PRE_TRANSIT, None),
    "EP": (TrackingStatus.PRE_TRANSIT, None),
    "AP": (TrackingStatus.PRE_TRANSIT, None),
    "PD": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "PU": (TrackingStatus.ACCEPTED, None),
    "PX": (TrackingStatus.ACCEPTED, None),
    **dict.fromkeys(_MOVEMENT_CODES, _IN_TRANSIT),
    "IT": _IN_TRANSIT,
    "IX": _IN_TRANSIT,
    "OW": _IN_TRANSIT,
    "CH": _IN_TRANSIT,
    "SP": _IN_TRANSIT,
    "CC": _IN_TRANSIT,
    "CP": _IN_TRANSIT,
    # Early signals: "arriving on time" / "arriving early" are good news, not exceptions.
    "AO": _IN_TRANSIT,
    "AE": _IN_TRANSIT,
    "OD": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "AD": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "ED": (TrackingStatus.OUT_FOR_DELIVERY, None),
    "DL": (TrackingStatus.DELIVERED, None),
    "DE": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "SE": (TrackingStatus.EXCEPTION, ExceptionReason.OTHER),
    "DD": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "DY": (TrackingStatus.DELAYED, ExceptionReason.DELAYED),
    "CD": (TrackingStatus.DELAYED, ExceptionReason.CUSTOMS),
    "HL": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "HP": (TrackingStatus.AVAILABLE_FOR_PICKUP, None),
    "RS": (TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    "CA": (TrackingStatus.CANCELLED, None),
}

# Exceptions and delays name their cause only in text; first phrase found wins. The status
# applies when the base status is `exception`; a delay stays a delay.
DESCRIPTION_RULES: tuple[tuple[str, TrackingStatus, ExceptionReason], ...] = (
    ("not available", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("business closed", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("attempt", TrackingStatus.DELIVERY_ATTEMPTED, ExceptionReason.DELIVERY_ATTEMPTED),
    ("refused", TrackingStatus.EXCEPTION, ExceptionReason.REFUSED),
    ("return", TrackingStatus.RETURN_TO_SENDER, ExceptionReason.RETURN_TO_SENDER),
    ("address", TrackingStatus.EXCEPTION, ExceptionReason.ADDRESS),
    ("damage", TrackingStatus.EXCEPTION, ExceptionReason.DAMAGED),
    ("weather", TrackingStatus.DELAYED, ExceptionReason.WEATHER),
    ("customs", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("clearance", TrackingStatus.EXCEPTION, ExceptionReason.CUSTOMS),
    ("missort", TrackingStatus.EXCEPTION, ExceptionReason.MISSORTED),
    ("lost", TrackingStatus.EXCEPTION, ExceptionReason.LOST),
    ("hold", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("held", TrackingStatus.EXCEPTION, ExceptionReason.HELD),
    ("delay", TrackingStatus.DELAYED, ExceptionReason.DELAYED),
)

REFINABLE = frozenset({TrackingStatus.EXCEPTION, TrackingStatus.DELAYED})
# Only a generic reason is refined: a clearance delay (CD) stays a customs matter.
GENERIC_REASONS = frozenset({ExceptionReason.OTHER, ExceptionReason.DELAYED})
