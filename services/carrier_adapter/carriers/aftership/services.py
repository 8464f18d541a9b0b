"""AfterShip `shipment_type` (the carrier's service, free text) → canonical service level (data).

Free text varies per carrier ("FedEx Home Delivery", "UPS Next Day Air Saver", "Priority Mail
Express 1-Day"), so the text is squashed (lower case, letters and digits only) and matched
against ordered key phrases: the first phrase found wins, so specific phrases come before the
general ones they contain ("prioritymailexpress" before "prioritymail", "groundeconomy" before
"ground").
"""

from __future__ import annotations

import re

from services.common.vocab import ServiceLevel

KEY_PHRASES: tuple[tuple[str, ServiceLevel], ...] = (
    ("sameday", ServiceLevel.SAME_DAY),
    ("nextday", ServiceLevel.NEXT_DAY),
    ("overnight", ServiceLevel.NEXT_DAY),
    ("prioritymailexpress", ServiceLevel.NEXT_DAY),
    ("1day", ServiceLevel.NEXT_DAY),
    ("expressworldwide", ServiceLevel.NEXT_DAY),
    ("internationalpriority", ServiceLevel.NEXT_DAY),
    ("2ndday", ServiceLevel.TWO_DAY),
    ("secondday", ServiceLevel.TWO_DAY),
    ("2day", ServiceLevel.TWO_DAY),
    ("twoday", ServiceLevel.TWO_DAY),
    ("3dayselect", ServiceLevel.THREE_DAY),
    ("3day", ServiceLevel.THREE_DAY),
    ("expresssaver", ServiceLevel.THREE_DAY),
    ("groundeconomy", ServiceLevel.ECONOMY),
    ("groundsaver", ServiceLevel.ECONOMY),
    ("smartpost", ServiceLevel.ECONOMY),
    ("surepost", ServiceLevel.ECONOMY),
    ("parcelselect", ServiceLevel.ECONOMY),
    ("mediamail", ServiceLevel.ECONOMY),
    ("economy", ServiceLevel.ECONOMY),
    ("groundadvantage", ServiceLevel.GROUND),
    ("homedelivery", ServiceLevel.GROUND),
    ("ground", ServiceLevel.GROUND),
    ("firstclass", ServiceLevel.GROUND),
    # USPS Priority Mail commits 1-3 days.
    ("prioritymail", ServiceLevel.TWO_DAY),
)


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def service_level(shipment_type: str | None) -> ServiceLevel | None:
    """The canonical level named by a carrier's service text; None when no phrase matches."""
    text = squash(shipment_type or "")
    return next((level for phrase, level in KEY_PHRASES if text and phrase in text), None)
