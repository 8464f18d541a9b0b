"""Prometheus metrics shared by both services.

Every long-running process serves its own `/metrics`: the HTTP services on their HTTP port, the
worker, relays, scheduler and notifier on their operations port (`services.common.ops`). Counters
and histograms count what the process itself does; the gauges below `# sampled` are read from
PostgreSQL or the broker every `OPS_SAMPLE_SECONDS` by the process that owns that state, so they
are true across restarts and replicas.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("orderwatch_consumed_total", "Messages decoded from a topic", ["topic", "event_type"])
DEAD_LETTERED = Counter("orderwatch_dead_lettered_total", "Messages sent to a dead-letter topic", ["topic", "reason"])
OUTBOX_PUBLISHED = Counter("orderwatch_outbox_published_total", "Outbox rows published", ["topic"])
OUTBOX_FAILURES = Counter("orderwatch_outbox_failures_total", "Outbox publish attempts that failed", ["topic"])
BATCH_SECONDS = Histogram("orderwatch_batch_seconds", "Time to apply one consumed batch", ["consumer"])
STALLS_TOTAL = Counter(
    "orderwatch_stalls_total", "Times a loop began waiting out a database or broker outage", ["loop"]
)
STALLED = Gauge(
    "orderwatch_stalled", "1 while a loop waits out an outage (its work is kept, not dead-lettered)", ["loop"]
)
BATCH_SIZE = Histogram(
    "orderwatch_batch_size",
    "Messages in one consumed batch",
    ["consumer"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
WEBHOOK_SECONDS = Histogram(
    "carrier_adapter_webhook_seconds",
    "Time from a webhook's arrival to its answer",
    ["source", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# sampled
CONSUMER_LAG = Gauge(
    "orderwatch_consumer_lag", "Messages on a partition not yet committed by the group", ["group", "topic", "partition"]
)
DLQ_MESSAGES = Gauge("orderwatch_dlq_messages", "Messages on a dead-letter topic (its end offsets)", ["topic"])
OUTBOX_UNSENT = Gauge("orderwatch_outbox_unsent", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge(
    "orderwatch_outbox_oldest_unsent_seconds", "Age of the oldest unpublished outbox row (0 when none)", ["service"]
)
OPEN_ALERTS = Gauge("orderwatch_open_alerts", "Unresolved cases, by leading rule", ["rule", "severity"])
OPEN_TASKS = Gauge("orderwatch_open_tasks", "Live reship tasks (open or claimed), by their alert", ["rule", "severity"])
ESCALATIONS = Gauge("orderwatch_escalations", "Automatic escalations made, by level reached", ["level"])
NOTIFICATIONS = Gauge(
    "orderwatch_notifications",
    "Notification deliveries by channel and outcome (pending, sent, dead)",
    ["channel", "status"],
)
NOTICES_UNROUTED = Gauge("orderwatch_notices_unrouted", "Alert notices not yet routed to channels by the notifier")
SAMPLE_FAILURES = Counter("orderwatch_sample_failures_total", "Sampler rounds that failed", ["sampler"])
SCHEDULER_HELD = Gauge("orderwatch_scheduler_held", "1 while due checks wait for the worker to catch up on tracking.v1")
DELIVERY_MODEL_FITTED = Gauge(
    "orderwatch_delivery_model_fitted_timestamp_seconds",
    "When the delivery model in force was last refitted (unix time)",
)
