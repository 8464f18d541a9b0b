"""USPS `mailClass` → canonical level. USPS sends display names ("Priority Mail Express®") or
enum-like names ("PRIORITY_MAIL_EXPRESS"); both reduce to the same key.

Priority Mail is sold as 1-3 business days, so it ranks THREE_DAY, not TWO_DAY.
"""

from __future__ import annotations

import re

from services.common.vocab import ServiceLevel

SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "PRIORITY MAIL EXPRESS": ServiceLevel.NEXT_DAY,
    "PRIORITY MAIL": ServiceLevel.TWO_DAY,  # sold as 1–3 days; 2 as in the promise catalog and aggregators
    "GROUND ADVANTAGE": ServiceLevel.GROUND,
    "FIRST CLASS PACKAGE SERVICE": ServiceLevel.GROUND,
    "FIRST CLASS MAIL": ServiceLevel.GROUND,
    "FIRST CLASS": ServiceLevel.GROUND,
    "PARCEL SELECT": ServiceLevel.GROUND,
    "PARCEL SELECT GROUND": ServiceLevel.GROUND,
    "PARCEL SELECT LIGHTWEIGHT": ServiceLevel.ECONOMY,
    "MEDIA MAIL": ServiceLevel.ECONOMY,
    "LIBRARY MAIL": ServiceLevel.ECONOMY,
    "BOUND PRINTED MATTER": ServiceLevel.ECONOMY,
}

_NOISE = re.compile(r"[^A-Z0-9]+")
_PREFIX = "USPS "


def service_key(mail_class: str) -> str:
    """Upper case, punctuation and ®/™ to single spaces, without a leading "USPS"."""
    key = _NOISE.sub(" ", mail_class.upper()).strip()
    return key.removeprefix(_PREFIX)


def service_level(mail_class: str | None) -> ServiceLevel | None:
    """The canonical level for a USPS mail class, or None when we cannot place it."""
    if not mail_class:
        return None
    return SERVICE_LEVELS.get(service_key(mail_class))
