"""order_watch settings: environment variables prefixed `ORDER_WATCH_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class OrderWatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_WATCH_", extra="ignore", env_nested_delimiter="__")

    http_host: str = Field("127.0.0.1", description="Address the staff API binds.")
    http_port: int = Field(8080, description="Port the staff API binds.")
    consumer_group: str = Field("order-watch", description="Kafka consumer group of the worker.")
    origin_time_zone: str = Field(
        "America/Chicago", description="Time zone of the warehouse (pickup cut-offs are local to it)."
    )
    worker_max_batch: int = Field(500, description="Most messages applied in one worker transaction.")
    scheduler_interval_seconds: float = Field(5.0, description="How often the scheduler looks for due checks.")
    scheduler_batch: int = Field(200, description="Orders the scheduler re-checks per transaction.")
