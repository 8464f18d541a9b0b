"""Canonical tracking events in, canonical tracking events out: validate and fill time fields.

The body is one event object, or `{"events": [...]}`; each event has the fields of
`TrackingUpdated` except `source`. `event_time` must carry an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.carrier_adapter.carriers.base import Normalized, PayloadError, WebhookRequest
from services.carrier_adapter.normalize.fields import as_object, parse_json
from services.carrier_adapter.normalize.times import from_aware, parse_iso
from services.common.contracts.tracking import TrackingUpdated


def normalize(request: WebhookRequest, received_at: datetime) -> Normalized:
    document = parse_json(request.body)
    items = document.get("events", [document]) if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise PayloadError("events", "expected an event object or a non-empty 'events' list")
    events = [_event(item, f"events[{index}]") for index, item in enumerate(items)]
    return Normalized(events=events, delivery_id=request.headers.get("webhook-id"))


def _event(item: Any, path: str) -> TrackingUpdated:
    item = as_object(item, path)
    if "event_time" not in item:
        raise PayloadError(f"{path}.event_time", "field required")
    moment = parse_iso(str(item["event_time"]), f"{path}.event_time")
    if moment.tzinfo is None:
        raise PayloadError(f"{path}.event_time", "must carry a UTC offset")
    fields = {**item, "source": "generic", **from_aware(moment).as_fields()}
    try:
        return TrackingUpdated.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PayloadError(f"{path}.{where}", first["msg"]) from exc
