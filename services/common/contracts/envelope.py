"""The envelope every message on every topic travels in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PayloadT = TypeVar("PayloadT", bound=BaseModel)


class Contract(BaseModel):
    """Base for payload models: strict about unknown fields so typos surface at the edge."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(BaseModel, Generic[PayloadT]):
    """`event_id` is the idempotency key: a consumer applies each id at most once."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    EVENT_TYPE: ClassVar[str] = ""

    event_id: uuid.UUID
    event_type: str
    occurred_at: AwareDatetime = Field(description="When it happened in the world.")
    produced_at: AwareDatetime = Field(description="When the producer wrote the message.")
    producer: str = Field(min_length=1)
    payload: PayloadT

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode()


EnvelopeT = TypeVar("EnvelopeT", bound=Envelope[Any])


def new_envelope(
    event_class: type[EnvelopeT],
    payload: BaseModel,
    *,
    occurred_at: datetime,
    produced_at: datetime,
    producer: str,
    event_id: uuid.UUID | None = None,
) -> EnvelopeT:
    """Wrap a payload in its typed envelope; a fresh event id unless a deterministic one is given."""
    return event_class(
        event_id=event_id or uuid.uuid4(),
        event_type=event_class.EVENT_TYPE,
        occurred_at=occurred_at,
        produced_at=produced_at,
        producer=producer,
        payload=payload,
    )
