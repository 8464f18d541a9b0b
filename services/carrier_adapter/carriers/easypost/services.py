"""EasyPost `carrier_detail.service` → canonical service level (data).

The value is carrier-native and comes both as tokens (`FEDEX_GROUND`, `NextDayAir`) and as text
(`Priority Mail Express`), so keys are squashed: lower case, letters and digits only. A token
whose meaning depends on the carrier (`Express`) is keyed `<carrier>:<token>` and looked up first.
"""

from __future__ import annotations

import re

from services.common.vocab import ServiceLevel

SERVICES: dict[str, ServiceLevel] = {
    # FedEx
    "fedexground": ServiceLevel.GROUND,
    "groundhomedelivery": ServiceLevel.GROUND,
    "fedexhomedelivery": ServiceLevel.GROUND,
    "smartpost": ServiceLevel.ECONOMY,
    "fedexgroundeconomy": ServiceLevel.ECONOMY,
    "fedex2day": ServiceLevel.TWO_DAY,
    "fedex2dayam": ServiceLevel.TWO_DAY,
    "fedexexpresssaver": ServiceLevel.THREE_DAY,
    "standardovernight": ServiceLevel.NEXT_DAY,
    "priorityovernight": ServiceLevel.NEXT_DAY,
    "firstovernight": ServiceLevel.NEXT_DAY,
    "sameday": ServiceLevel.SAME_DAY,
    "samedaycity": ServiceLevel.SAME_DAY,
    "internationalpriority": ServiceLevel.NEXT_DAY,
    "fedexinternationalpriority": ServiceLevel.NEXT_DAY,
    "internationalfirst": ServiceLevel.NEXT_DAY,
    "internationaleconomy": ServiceLevel.ECONOMY,
    # UPS
    "ground": ServiceLevel.GROUND,
    "upsground": ServiceLevel.GROUND,
    "nextdayair": ServiceLevel.NEXT_DAY,
    "nextdayairsaver": ServiceLevel.NEXT_DAY,
    "nextdayairearlyam": ServiceLevel.NEXT_DAY,
    "2nddayair": ServiceLevel.TWO_DAY,
    "2nddayairam": ServiceLevel.TWO_DAY,
    "3dayselect": ServiceLevel.THREE_DAY,
    "upsstandard": ServiceLevel.GROUND,
    "upssaver": ServiceLevel.NEXT_DAY,
    "expressplus": ServiceLevel.NEXT_DAY,
    "ups:express": ServiceLevel.NEXT_DAY,
    "ups:expedited": ServiceLevel.THREE_DAY,
    "upssurepost": ServiceLevel.ECONOMY,
    # USPS: Priority Mail Express is USPS's overnight product; Priority Mail commits 1-3 days.
    "usps:express": ServiceLevel.NEXT_DAY,
    "prioritymailexpress": ServiceLevel.NEXT_DAY,
    "priority": ServiceLevel.TWO_DAY,
    "prioritymail": ServiceLevel.TWO_DAY,
    "groundadvantage": ServiceLevel.GROUND,
    "uspsgroundadvantage": ServiceLevel.GROUND,
    "first": ServiceLevel.GROUND,
    "firstclasspackageservice": ServiceLevel.GROUND,
    "parcelselect": ServiceLevel.ECONOMY,
    "mediamail": ServiceLevel.ECONOMY,
    "librarymail": ServiceLevel.ECONOMY,
    # DHL Express
    "expressworldwide": ServiceLevel.NEXT_DAY,
    "dhl:express": ServiceLevel.NEXT_DAY,
}


def squash(text: str) -> str:
    """`FEDEX_GROUND`, `FedEx Ground` and `fedex-ground` all become `fedexground`."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def service_level(carrier: str, raw_service: str | None) -> ServiceLevel | None:
    """The canonical level of a carrier-native service string; None when we do not know it."""
    if not raw_service:
        return None
    key = squash(raw_service)
    return SERVICES.get(f"{carrier}:{key}") or SERVICES.get(key)
