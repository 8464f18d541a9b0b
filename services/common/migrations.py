"""Alembic, per service: each service migrates only its own schema, with its own version table.

`upgrade("services.carrier_adapter", url)` runs that package's `migrations/` to head. The
package's `migrations/env.py` calls `run_env(metadata, schema)`.
"""

from __future__ import annotations

import asyncio
import zlib

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, database_url), revision)


def run_env(metadata: MetaData, schema: str) -> None:
    """Body of a service's env.py: online migrations over asyncpg, serialized by an advisory lock."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

    def configure_and_run(connection: Connection) -> None:
        # Two replicas starting at once must not both migrate: take a per-schema lock.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(schema.encode())})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            compare_type=True,
        )
        context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(configure_and_run)
        await engine.dispose()

    asyncio.run(run())
