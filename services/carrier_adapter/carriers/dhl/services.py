"""DHL `details.product.productName` → canonical level (Express, eCommerce and Parcel products).

Names are matched case-insensitively with punctuation collapsed ("EXPRESS 10:30" → "EXPRESS 10 30")
and an optional leading "DHL". Express products are time-definite next-possible-business-day.
"""

from __future__ import annotations

import re

from services.common.vocab import ServiceLevel

SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "EXPRESS 9 00": ServiceLevel.NEXT_DAY,
    "EXPRESS 10 30": ServiceLevel.NEXT_DAY,
    "EXPRESS 12 00": ServiceLevel.NEXT_DAY,
    "EXPRESS WORLDWIDE": ServiceLevel.NEXT_DAY,
    "EXPRESS DOMESTIC": ServiceLevel.NEXT_DAY,
    "EXPRESS EASY": ServiceLevel.NEXT_DAY,
    "ECONOMY SELECT": ServiceLevel.ECONOMY,
    "ECOMMERCE PARCEL": ServiceLevel.GROUND,
    "PARCEL EXPEDITED": ServiceLevel.GROUND,
    "PARCEL EXPEDITED MAX": ServiceLevel.GROUND,
    "PARCEL GROUND": ServiceLevel.ECONOMY,
    "PARCEL INTERNATIONAL DIRECT": ServiceLevel.ECONOMY,
    "PAKET": ServiceLevel.GROUND,
    "PAKET INTERNATIONAL": ServiceLevel.ECONOMY,
    "WARENPOST": ServiceLevel.ECONOMY,
}

_NOISE = re.compile(r"[^A-Z0-9]+")


def service_key(product_name: str) -> str:
    """Upper case, punctuation to single spaces, without a leading "DHL"."""
    key = _NOISE.sub(" ", product_name.upper()).strip()
    return key.removeprefix("DHL ").strip()


def service_level(product_name: str | None) -> ServiceLevel | None:
    """The canonical level for a DHL product name, or None when we cannot place it."""
    if not product_name:
        return None
    return SERVICE_LEVELS.get(service_key(product_name))
