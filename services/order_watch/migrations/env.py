"""Alembic environment of the order_watch schema."""

from services.common.migrations import run_env
from services.order_watch.db import SCHEMA
from services.order_watch.models import Base

run_env(Base.metadata, SCHEMA)
