"""The order_watch schema's declarative base and its outbox table."""

from __future__ import annotations

from services.common.db import declarative_base_for
from services.common.outbox import outbox_model

SCHEMA = "order_watch"
Base = declarative_base_for(SCHEMA)
OutboxMessage = outbox_model(Base)
