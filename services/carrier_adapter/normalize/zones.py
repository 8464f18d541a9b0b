"""Which IANA time zone a scan location is in, and whether that answer is exact.

Data, not logic: a table per country. A region that spans several zones maps to the zone most
of its population uses and is marked inexact, so the event says its zone was assumed.
"""

from __future__ import annotations

from services.common.contracts.tracking import Location

# US states and territories → (zone, exact). Inexact: the state spans more than one zone.
US_STATES: dict[str, tuple[str, bool]] = {
    "AL": ("America/Chicago", True),
    "AK": ("America/Anchorage", False),
    "AZ": ("America/Phoenix", False),
    "AR": ("America/Chicago", True),
    "CA": ("America/Los_Angeles", True),
    "CO": ("America/Denver", True),
    "CT": ("America/New_York", True),
    "DE": ("America/New_York", True),
    "DC": ("America/New_York", True),
    "FL": ("America/New_York", False),
    "GA": ("America/New_York", True),
    "HI": ("Pacific/Honolulu", True),
    "ID": ("America/Boise", False),
    "IL": ("America/Chicago", True),
    "IN": ("America/Indiana/Indianapolis", False),
    "IA": ("America/Chicago", True),
    "KS": ("America/Chicago", False),
    "KY": ("America/New_York", False),
    "LA": ("America/Chicago", True),
    "ME": ("America/New_York", True),
    "MD": ("America/New_York", True),
    "MA": ("America/New_York", True),
    "MI": ("America/Detroit", False),
    "MN": ("America/Chicago", True),
    "MS": ("America/Chicago", True),
    "MO": ("America/Chicago", True),
    "MT": ("America/Denver", True),
    "NE": ("America/Chicago", False),
    "NV": ("America/Los_Angeles", False),
    "NH": ("America/New_York", True),
    "NJ": ("America/New_York", True),
    "NM": ("America/Denver", True),
    "NY": ("America/New_York", True),
    "NC": ("America/New_York", True),
    "ND": ("America/Chicago", False),
    "OH": ("America/New_York", True),
    "OK": ("America/Chicago", True),
    "OR": ("America/Los_Angeles", False),
    "PA": ("America/New_York", True),
    "RI": ("America/New_York", True),
    "SC": ("America/New_York", True),
    "SD": ("America/Chicago", False),
    "TN": ("America/Chicago", False),
    "TX": ("America/Chicago", False),
    "UT": ("America/Denver", True),
    "VT": ("America/New_York", True),
    "VA": ("America/New_York", True),
    "WA": ("America/Los_Angeles", True),
    "WV": ("America/New_York", True),
    "WI": ("America/Chicago", True),
    "WY": ("America/Denver", True),
    "PR": ("America/Puerto_Rico", True),
    "GU": ("Pacific/Guam", True),
    "VI": ("America/St_Thomas", True),
}

CA_PROVINCES: dict[str, tuple[str, bool]] = {
    "AB": ("America/Edmonton", True),
    "BC": ("America/Vancouver", False),
    "MB": ("America/Winnipeg", True),
    "NB": ("America/Moncton", True),
    "NL": ("America/St_Johns", False),
    "NS": ("America/Halifax", True),
    "ON": ("America/Toronto", False),
    "PE": ("America/Halifax", True),
    "QC": ("America/Toronto", False),
    "SK": ("America/Regina", True),
    "NT": ("America/Yellowknife", True),
    "NU": ("America/Iqaluit", False),
    "YT": ("America/Whitehorse", True),
}

# Countries with one zone (exact), and large ones with a dominant zone (inexact).
COUNTRIES: dict[str, tuple[str, bool]] = {
    "GB": ("Europe/London", True),
    "IE": ("Europe/Dublin", True),
    "DE": ("Europe/Berlin", True),
    "FR": ("Europe/Paris", True),
    "NL": ("Europe/Amsterdam", True),
    "BE": ("Europe/Brussels", True),
    "LU": ("Europe/Luxembourg", True),
    "IT": ("Europe/Rome", True),
    "ES": ("Europe/Madrid", False),
    "PT": ("Europe/Lisbon", False),
    "AT": ("Europe/Vienna", True),
    "CH": ("Europe/Zurich", True),
    "DK": ("Europe/Copenhagen", True),
    "SE": ("Europe/Stockholm", True),
    "NO": ("Europe/Oslo", True),
    "FI": ("Europe/Helsinki", True),
    "PL": ("Europe/Warsaw", True),
    "CZ": ("Europe/Prague", True),
    "SK": ("Europe/Bratislava", True),
    "HU": ("Europe/Budapest", True),
    "GR": ("Europe/Athens", True),
    "RO": ("Europe/Bucharest", True),
    "BG": ("Europe/Sofia", True),
    "HR": ("Europe/Zagreb", True),
    "SI": ("Europe/Ljubljana", True),
    "EE": ("Europe/Tallinn", True),
    "LV": ("Europe/Riga", True),
    "LT": ("Europe/Vilnius", True),
    "JP": ("Asia/Tokyo", True),
    "KR": ("Asia/Seoul", True),
    "CN": ("Asia/Shanghai", True),
    "HK": ("Asia/Hong_Kong", True),
    "TW": ("Asia/Taipei", True),
    "SG": ("Asia/Singapore", True),
    "IN": ("Asia/Kolkata", True),
    "AE": ("Asia/Dubai", True),
    "IL": ("Asia/Jerusalem", True),
    "TR": ("Europe/Istanbul", True),
    "ZA": ("Africa/Johannesburg", True),
    "NZ": ("Pacific/Auckland", False),
    "MY": ("Asia/Kuala_Lumpur", True),
    "TH": ("Asia/Bangkok", True),
    "PH": ("Asia/Manila", True),
    "VN": ("Asia/Ho_Chi_Minh", True),
    "US": ("America/Chicago", False),
    "CA": ("America/Toronto", False),
    "MX": ("America/Mexico_City", False),
    "BR": ("America/Sao_Paulo", False),
    "AU": ("Australia/Sydney", False),
    "RU": ("Europe/Moscow", False),
    "ID": ("Asia/Jakarta", False),
}

COUNTRY_ALIASES = {"USA": "US", "UNITED STATES": "US", "CAN": "CA", "CANADA": "CA", "UK": "GB", "DEU": "DE"}


def _country_code(country: str | None) -> str | None:
    if not country:
        return None
    code = country.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


def zone_for_location(location: Location | None) -> tuple[str | None, bool]:
    """(IANA zone, exact?) for a location; (None, False) when nothing in it tells the zone."""
    if location is None:
        return None, False
    country = _country_code(location.country)
    region = (location.region or "").strip().upper()
    if country in (None, "US") and region in US_STATES:
        return US_STATES[region]
    if country == "CA" and region in CA_PROVINCES:
        return CA_PROVINCES[region]
    if country in COUNTRIES:
        zone, exact = COUNTRIES[country]
        return zone, exact
    return None, False
