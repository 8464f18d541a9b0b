"""Alembic environment of the carrier_adapter schema."""

from services.carrier_adapter.webhooks.models import SCHEMA, Base
from services.common.migrations import run_env

run_env(Base.metadata, SCHEMA)
