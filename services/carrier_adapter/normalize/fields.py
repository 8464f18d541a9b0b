"""JSON field access for the sources' mappers: parse a body, read typed fields, name what is wrong.

Every reader that can fail takes `field`, the dotted path its `PayloadError` names (for example
`result.tracking_details[2].datetime`), so a rejected delivery says exactly where it is off. The
`key` is looked up in `container`; `field` is only what the error reports.

Text comes in two flavours, because the sources differ:
- `get_text` is strict: the value must be a JSON string, used verbatim ("" counts as absent).
  For aggregators (EasyPost, Shippo, AfterShip), whose documented fields are strings.
- `clean_text` is lenient: any scalar becomes its stripped string, blank becomes None. For
  carriers (UPS, FedEx, USPS, DHL) that send "" for unfilled fields and numbers for codes.
"""

from __future__ import annotations

import json
from typing import Any, Literal, overload

from services.carrier_adapter.carriers.base import PayloadError
from services.common.contracts.tracking import Location

JsonObject = dict[str, Any]


def parse_json(data: bytes | str, field: str = "body") -> Any:
    """Any JSON document; undecodable bytes or bad JSON is `PayloadError(field, "malformed JSON: …")`."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(field, f"malformed JSON: {exc}") from exc
    except RecursionError:
        raise PayloadError(field, "JSON nested too deep to read") from None


def load_object(body: bytes) -> JsonObject:
    """A request body that must be one JSON object; errors name the field `body`."""
    document = parse_json(body)
    if not isinstance(document, dict):
        raise PayloadError("body", "expected a JSON object")
    return document


def as_object(value: Any, field: str) -> JsonObject:
    """`value` itself, which must be an object (so absent or null is an error too)."""
    if not isinstance(value, dict):
        raise PayloadError(field, "expected an object")
    return value


@overload
def get_object(container: JsonObject, key: str, field: str, *, required: Literal[True]) -> JsonObject: ...
@overload
def get_object(container: JsonObject, key: str, field: str, *, required: bool = False) -> JsonObject | None: ...
def get_object(container: JsonObject, key: str, field: str, *, required: bool = False) -> JsonObject | None:
    """An object field. Absent or null is None, or "field required" when `required`; any other
    non-object is "expected an object"."""
    value = container.get(key)
    if value is None:
        if required:
            raise PayloadError(field, "field required")
        return None
    return as_object(value, field)


def get_list(container: JsonObject, key: str, field: str) -> list[Any]:
    """A list field; absent or null is an empty list, anything else that is not a list is an error."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(field, "expected a list")
    return value


@overload
def get_text(container: JsonObject, key: str, field: str, *, required: Literal[True]) -> str: ...
@overload
def get_text(container: JsonObject, key: str, field: str, *, required: bool = False) -> str | None: ...
def get_text(container: JsonObject, key: str, field: str, *, required: bool = False) -> str | None:
    """A string field, verbatim. Absent, null or "" is None, or "field required" when `required`;
    a value that is not a string is "expected a string"."""
    value = container.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(field, "field required")
        return None
    if not isinstance(value, str):
        raise PayloadError(field, "expected a string")
    return value


def clean_text(value: Any) -> str | None:
    """Any scalar as a stripped string, or None for null and blanks (never raises)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def get_nonblank_text(container: JsonObject, key: str, field: str) -> str:
    """A required string field, stripped; absent, blank or not a string is
    "field required (a non-empty string)"."""
    value = container.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(field, "field required (a non-empty string)")
    return value.strip()


def address_location(value: Any, field: str) -> Location | None:
    """A `{city, state, zip, country}` object (the aggregators' shape) as a Location; None if empty."""
    if not value:
        return None
    place = as_object(value, field)
    location = Location(
        city=get_text(place, "city", f"{field}.city"),
        region=get_text(place, "state", f"{field}.state"),
        postal_code=get_text(place, "zip", f"{field}.zip"),
        country=get_text(place, "country", f"{field}.country"),
    )
    return location if any(location.model_dump().values()) else None
