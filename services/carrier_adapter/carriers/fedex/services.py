"""FedEx `serviceDetail.type` (karrio's ShippingService list, carriers.md §5.4) → canonical level.

Freight variants and anything not listed keep only `raw_service`.
"""

from __future__ import annotations

from services.common.vocab import ServiceLevel

SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "SAME_DAY": ServiceLevel.SAME_DAY,
    "SAME_DAY_CITY": ServiceLevel.SAME_DAY,
    "FIRST_OVERNIGHT": ServiceLevel.NEXT_DAY,
    "PRIORITY_OVERNIGHT": ServiceLevel.NEXT_DAY,
    "STANDARD_OVERNIGHT": ServiceLevel.NEXT_DAY,
    "FEDEX_2_DAY": ServiceLevel.TWO_DAY,
    "FEDEX_2_DAY_AM": ServiceLevel.TWO_DAY,
    "FEDEX_EXPRESS_SAVER": ServiceLevel.THREE_DAY,
    "FEDEX_GROUND": ServiceLevel.GROUND,
    "GROUND_HOME_DELIVERY": ServiceLevel.GROUND,
    "SMART_POST": ServiceLevel.ECONOMY,
    "GROUND_ECONOMY": ServiceLevel.ECONOMY,  # SmartPost's newer name
    # International: First and Priority Express are next-business-day to major markets.
    "INTERNATIONAL_FIRST": ServiceLevel.NEXT_DAY,
    "FEDEX_INTERNATIONAL_PRIORITY_EXPRESS": ServiceLevel.NEXT_DAY,
    "FEDEX_INTERNATIONAL_PRIORITY": ServiceLevel.TWO_DAY,
    "INTERNATIONAL_PRIORITY": ServiceLevel.TWO_DAY,
    "INTERNATIONAL_ECONOMY": ServiceLevel.ECONOMY,
    "FEDEX_INTERNATIONAL_CONNECT_PLUS": ServiceLevel.ECONOMY,
}


def service_level(service_type: str | None) -> ServiceLevel | None:
    """The canonical level for a FedEx service type, or None when we cannot place it."""
    if not service_type:
        return None
    return SERVICE_LEVELS.get(service_type.strip().upper())
