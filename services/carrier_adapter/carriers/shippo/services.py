"""Shippo `servicelevel.token` → canonical service level (data).

Shippo tokens are a closed vocabulary `<carrier>_<service>`; a token we do not list maps to
None and the raw token is still kept on the event.
"""

from __future__ import annotations

from services.common.vocab import ServiceLevel

SERVICES: dict[str, ServiceLevel] = {
    # USPS: Priority Mail Express is USPS's overnight product; Priority Mail commits 1-3 days.
    "usps_priority_express": ServiceLevel.NEXT_DAY,
    "usps_priority": ServiceLevel.TWO_DAY,
    "usps_ground_advantage": ServiceLevel.GROUND,
    "usps_first": ServiceLevel.GROUND,
    "usps_parcel_select": ServiceLevel.ECONOMY,
    "usps_media_mail": ServiceLevel.ECONOMY,
    # UPS
    "ups_next_day_air": ServiceLevel.NEXT_DAY,
    "ups_next_day_air_saver": ServiceLevel.NEXT_DAY,
    "ups_next_day_air_early_am": ServiceLevel.NEXT_DAY,
    "ups_second_day_air": ServiceLevel.TWO_DAY,
    "ups_second_day_air_am": ServiceLevel.TWO_DAY,
    "ups_three_day_select": ServiceLevel.THREE_DAY,
    "ups_ground": ServiceLevel.GROUND,
    "ups_ground_saver": ServiceLevel.ECONOMY,
    "ups_standard": ServiceLevel.GROUND,
    "ups_saver": ServiceLevel.NEXT_DAY,
    "ups_express": ServiceLevel.NEXT_DAY,
    "ups_express_plus": ServiceLevel.NEXT_DAY,
    "ups_expedited": ServiceLevel.THREE_DAY,
    "ups_surepost": ServiceLevel.ECONOMY,
    # FedEx
    "fedex_same_day": ServiceLevel.SAME_DAY,
    "fedex_first_overnight": ServiceLevel.NEXT_DAY,
    "fedex_priority_overnight": ServiceLevel.NEXT_DAY,
    "fedex_standard_overnight": ServiceLevel.NEXT_DAY,
    "fedex_2_day": ServiceLevel.TWO_DAY,
    "fedex_2_day_am": ServiceLevel.TWO_DAY,
    "fedex_express_saver": ServiceLevel.THREE_DAY,
    "fedex_ground": ServiceLevel.GROUND,
    "fedex_home_delivery": ServiceLevel.GROUND,
    "fedex_ground_economy": ServiceLevel.ECONOMY,
    "fedex_smart_post": ServiceLevel.ECONOMY,
    "fedex_international_priority": ServiceLevel.NEXT_DAY,
    "fedex_international_economy": ServiceLevel.ECONOMY,
    # DHL
    "dhl_express_worldwide": ServiceLevel.NEXT_DAY,
    "dhl_express_domestic_express": ServiceLevel.NEXT_DAY,
    "dhl_ecommerce_parcel_expedited": ServiceLevel.THREE_DAY,
    "dhl_ecommerce_parcel_ground": ServiceLevel.GROUND,
}


def service_level(token: str | None) -> ServiceLevel | None:
    """The canonical level of a Shippo service token; None when we do not know it."""
    return SERVICES.get((token or "").lower())
