"""carrier_adapter settings: environment variables prefixed `CARRIER_ADAPTER_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class CarrierAdapterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARRIER_ADAPTER_", extra="ignore", env_nested_delimiter="__")

    http_host: str = Field("127.0.0.1", description="Address the webhook server binds.")
    http_port: int = Field(8081, description="Port the webhook server binds.")
    db_pool_size: int = Field(
        10,
        description="Database connections the webhook server may hold, each running one statement at a time "
        "that stores every webhook which arrived while the others were busy.",
    )
    max_body_bytes: int = Field(1_048_576, description="Largest webhook body accepted (413 above).")
    webhook_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Per source, comma-separated secrets or tokens, all accepted (rotation): "
        "CARRIER_ADAPTER_WEBHOOK_SECRETS__UPS=new,old",
    )
    relay_batch_size: int = Field(500, description="Outbox rows published per relay round trip.")
    relay_ops_port: int = Field(9191, description="Operations port (/healthz, /readyz, /metrics) of the outbox relay.")

    def secrets_for(self, source: str) -> list[str]:
        raw = self.webhook_secrets.get(source) or self.webhook_secrets.get(source.upper()) or ""
        return [secret.strip() for secret in raw.split(",") if secret.strip()]
