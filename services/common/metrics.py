"""Prometheus metrics shared by both services (each process exposes its own /metrics)."""

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
