"""order_watch settings: environment variables prefixed `ORDER_WATCH_`.

Structured settings (notification channels and routes) are JSON in one variable each, e.g.
`ORDER_WATCH_NOTIFICATION_CHANNELS='{"ops": {"kind": "slack", "url": "https://hooks.slack.com/…"}}'`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ChannelSettings(BaseModel):
    """Where a notification goes: a Slack-compatible incoming webhook, a signed webhook, or email."""

    kind: Literal["slack", "webhook", "email"]
    url: str | None = Field(None, description="slack and webhook: the URL to POST to.")
    secret: str | None = Field(None, description="webhook: Standard Webhooks secret (whsec_…).")
    to: list[str] = Field(default_factory=list, description="email: recipients.")


class RouteSettings(BaseModel):
    """Which alert changes (and changes of an alert's reship task) go to a channel; an empty list matches everything."""

    channel: str
    severities: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    changes: list[str] = Field(
        default_factory=list, description="raised, escalated, reopened, resolved, assigned, task_created, task_expired"
    )
    min_escalation_level: int = Field(0, description="Only alerts escalated at least this far (1 = lead).")


class OrderWatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ORDER_WATCH_", extra="ignore", env_nested_delimiter="__", env_ignore_empty=True
    )

    http_host: str = Field("127.0.0.1", description="Address the staff API binds.")
    http_port: int = Field(8080, description="Port the staff API binds.")
    public_url: str = Field("http://127.0.0.1:8080", description="Base URL of the staff API, for links in messages.")
    consumer_group: str = Field("order-watch", description="Kafka consumer group of the worker.")
    origin_time_zone: str = Field(
        "America/Chicago", description="Time zone of the warehouse (pickup cut-offs are local to it)."
    )
    worker_max_batch: int = Field(2000, description="Most messages applied in one worker transaction.")
    scheduler_interval_seconds: float = Field(5.0, description="How often the scheduler looks for due checks.")
    scheduler_batch: int = Field(200, description="Orders the scheduler re-checks per transaction.")
    scheduler_hold_lag: int = Field(
        1000,
        description="Due checks wait while the worker has more than this many tracking.v1 messages unread "
        "(a rule must not fire on a silence whose scan is still on the topic).",
    )
    escalation_batch: int = Field(
        500, description="Alerts due to escalate, or changed since last checked, claimed per scheduler round."
    )
    notification_channels: dict[str, ChannelSettings] = Field(
        default_factory=dict, description="Notification channels by name (JSON)."
    )
    notification_routes: list[RouteSettings] = Field(
        default_factory=list, description="Routing rules: which alert changes go to which channel (JSON)."
    )
    notification_max_attempts: int = Field(6, description="Delivery attempts before a notification is dead.")
    notification_retry_seconds: float = Field(10.0, description="First retry delay; doubles each attempt (jittered).")
    notification_retry_max_seconds: float = Field(900.0, description="Longest delay between attempts.")
    notification_timeout_seconds: float = Field(10.0, description="Per-delivery network timeout.")
    notifier_interval_seconds: float = Field(2.0, description="How often the notifier looks for due deliveries.")
    notifier_batch: int = Field(50, description="Deliveries attempted per notifier transaction.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server for email notifications.")
    smtp_port: int = Field(25, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_from: str = Field("order-watch@localhost", description="From address of notification emails.")
    ui_secret: str | None = Field(
        None,
        description="Staff web UI: key of the CSRF tokens. Unset, a random key per process (every page open when "
        "the process restarts must be reloaded); set it when several API processes serve the UI.",
    )
    ui_poll_seconds: float = Field(1.0, description="Staff web UI: how often a live board looks for changes.")
    ui_heartbeat_seconds: float = Field(15.0, description="Staff web UI: keep-alive comment interval on live boards.")
    ui_stream_max_seconds: float = Field(
        300.0, description="Staff web UI: a live board's stream ends after this long; the browser reconnects."
    )
    worker_ops_port: int = Field(9181, description="Operations port (/healthz, /readyz, /metrics) of the worker.")
    relay_ops_port: int = Field(9182, description="Operations port of the outbox relay.")
    scheduler_ops_port: int = Field(9183, description="Operations port of the scheduler.")
    notifier_ops_port: int = Field(9184, description="Operations port of the notifier.")
    learn_ops_port: int = Field(9185, description="Operations port of the delivery-model refit (`learn --every`).")
