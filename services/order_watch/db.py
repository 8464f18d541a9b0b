"""The order_watch schema's declarative base and its outbox table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.contracts.envelope import Envelope, new_envelope
from services.common.db import declarative_base_for
from services.common.outbox import enqueue, outbox_model

SCHEMA = "order_watch"
Base = declarative_base_for(SCHEMA)
OutboxMessage = outbox_model(Base)

PRODUCER = "order_watch"


def publish(session: AsyncSession, event_class: type[Envelope[Any]], payload: BaseModel, now: datetime) -> None:
    """Queue an order_watch event in the outbox, in the caller's transaction."""
    envelope = new_envelope(event_class, payload, occurred_at=now, produced_at=now, producer=PRODUCER)
    enqueue(session, OutboxMessage, envelope, now)
