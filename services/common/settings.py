"""Settings shared by both services; each service subclasses with its own env prefix.

Shared infrastructure (database, broker) is read from unprefixed variables so one
environment file can serve every process; service-specific knobs carry the prefix.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def shared(name: str, default: object, description: str) -> object:
    """A field read from the unprefixed environment variable `name`."""
    return Field(default=default, validation_alias=AliasChoices(name, name.lower()), description=description)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_nested_delimiter="__")

    database_url: str = shared(
        "DATABASE_URL",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/orderwatch",
        "SQLAlchemy URL of PostgreSQL (asyncpg driver).",
    )
    kafka_bootstrap_servers: str = shared(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092", "Comma-separated Kafka bootstrap servers."
    )
    kafka_enable_idempotence: bool = shared(
        "KAFKA_ENABLE_IDEMPOTENCE",
        False,
        "Idempotent producer; on for real Kafka, off for the embedded broker (no InitProducerId).",
    )
    kafka_topic_prefix: str = shared(
        "KAFKA_TOPIC_PREFIX", "", "Prefix for every topic name (shared clusters, test isolation)."
    )
    kafka_fetch_max_wait_ms: int = shared(
        "KAFKA_FETCH_MAX_WAIT_MS",
        50,
        "Longest a consumer fetch waits for data; bounds label-to-alert latency on a quiet topic.",
    )
    log_level: str = shared("LOG_LEVEL", "INFO", "Python log level.")
    ops_host: str = shared(
        "OPS_HOST", "127.0.0.1", "Address the operations port of a worker, relay, scheduler or notifier binds."
    )
    ops_sample_seconds: float = shared(
        "OPS_SAMPLE_SECONDS", 10.0, "How often sampled gauges (lag, outbox backlog, open alerts …) are read."
    )

    def topic(self, name: str) -> str:
        """The physical topic name for a contract topic."""
        return f"{self.kafka_topic_prefix}{name}"
