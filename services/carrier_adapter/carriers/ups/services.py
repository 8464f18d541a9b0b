"""UPS service codes (`Shipping.yaml`, carriers.md §4.5) → canonical service level.

International express products are time-definite next-business-day to most lanes, so they rank
NEXT_DAY; codes whose speed we cannot place (freight, heavy goods, Roadie XD) are left out and
keep only `raw_service`.
"""

from __future__ import annotations

from services.common.vocab import ServiceLevel

SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "01": ServiceLevel.NEXT_DAY,  # Next Day Air
    "02": ServiceLevel.TWO_DAY,  # 2nd Day Air
    "03": ServiceLevel.GROUND,  # Ground
    "07": ServiceLevel.NEXT_DAY,  # Worldwide Express
    "08": ServiceLevel.THREE_DAY,  # Worldwide Expedited
    "11": ServiceLevel.GROUND,  # UPS Standard
    "12": ServiceLevel.THREE_DAY,  # 3 Day Select
    "13": ServiceLevel.NEXT_DAY,  # Next Day Air Saver
    "14": ServiceLevel.NEXT_DAY,  # Next Day Air Early
    "17": ServiceLevel.ECONOMY,  # Worldwide Economy DDU
    "54": ServiceLevel.NEXT_DAY,  # Worldwide Express Plus
    "59": ServiceLevel.TWO_DAY,  # 2nd Day Air A.M.
    "65": ServiceLevel.TWO_DAY,  # UPS Saver (end of day, a day behind Express on many lanes)
    "70": ServiceLevel.ECONOMY,  # Access Point Economy
    "72": ServiceLevel.ECONOMY,  # Worldwide Economy DDP
    "74": ServiceLevel.NEXT_DAY,  # Express 12:00
    "82": ServiceLevel.SAME_DAY,  # UPS Today Standard
    "83": ServiceLevel.SAME_DAY,  # UPS Today Dedicated Courier
    "84": ServiceLevel.SAME_DAY,  # UPS Today Intercity
    "85": ServiceLevel.SAME_DAY,  # UPS Today Express
    "86": ServiceLevel.SAME_DAY,  # UPS Today Express Saver
    "M2": ServiceLevel.ECONOMY,  # Mail Innovations (USPS final mile)
    "M3": ServiceLevel.ECONOMY,
    "M4": ServiceLevel.ECONOMY,
    "M5": ServiceLevel.ECONOMY,
    "M6": ServiceLevel.ECONOMY,
    "M7": ServiceLevel.ECONOMY,
}


def service_level(code: str | None) -> ServiceLevel | None:
    """The canonical level for a UPS service code; a 3-digit form ("003") is read as "03"."""
    if not code:
        return None
    key = code.strip().upper()
    if len(key) == 3 and key.startswith("0"):
        key = key[1:]
    return SERVICE_LEVELS.get(key)
