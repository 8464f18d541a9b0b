"""The topic table: name, key, and the event types each topic carries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from services.common.contracts.alerts import AlertEvent
from services.common.contracts.envelope import Envelope
from services.common.contracts.orders import OrderEvent
from services.common.contracts.shipments import ShipmentEvent
from services.common.contracts.tasks import TaskEvent
from services.common.contracts.tracking import TrackingEvent


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    producer: str
    consumers: str
    event_union: Any

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(Annotated[self.event_union, Field(discriminator="event_type")])

    @property
    def event_types(self) -> list[str]:
        members = getattr(self.event_union, "__args__", (self.event_union,))
        return [member.EVENT_TYPE for member in members]

    @property
    def dead_letter_name(self) -> str:
        return f"{self.name}.dlq"

    def json_schema(self) -> dict[str, Any]:
        schema = self.adapter.json_schema()
        schema["title"] = f"{self.name} message"
        schema["$comment"] = f"Generated from services/common/contracts; key: {self.key}. Do not edit."
        return schema

    def schema_text(self) -> str:
        return json.dumps(self.json_schema(), indent=2, sort_keys=True) + "\n"


TOPICS: dict[str, Topic] = {
    topic.name: topic
    for topic in (
        Topic("orders.v1", "order_id", "order system", "order_watch worker", OrderEvent),
        Topic("shipments.v1", "order_id", "warehouse", "order_watch worker", ShipmentEvent),
        Topic("tracking.v1", "carrier:tracking_number", "carrier_adapter relay", "order_watch worker", TrackingEvent),
        Topic("alerts.v2", "order_id", "order_watch relay", "CRM, paging", AlertEvent),
        Topic("tasks.v1", "order_id", "order_watch relay", "WMS (reships)", TaskEvent),
    )
}


def topic_for_event(event_type: str) -> Topic:
    """The topic that carries an event type; KeyError for an unknown type."""
    return _TOPIC_OF_EVENT[event_type]


# Looked up for every outbox row: built once (event_types walks the union's members on each call).
_TOPIC_OF_EVENT = {event_type: topic for topic in TOPICS.values() for event_type in topic.event_types}


def decode_event(topic_name: str, raw: bytes | str) -> Envelope[Any]:
    """Parse and validate one message of a topic; raises pydantic.ValidationError when it is bad."""
    return TOPICS[topic_name].adapter.validate_json(raw)


def message_key(event: Envelope[Any]) -> str:
    """The partition key of an event, per the topic table."""
    payload = event.payload
    if event.event_type == "tracking.updated":
        return f"{payload.carrier}:{payload.tracking_number}"
    return payload.order_id
