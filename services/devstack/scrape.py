"""Scrape every process of a running `make run` and check each reports the metrics it owns.

`python -m services.devstack.scrape` (after `make run`, in another terminal) reads the ports from
`.devstack/env`, fetches each process's `/metrics` and prints, per process, every expected metric
with its number of series and their sum; exit code 1 if any is missing or has no value.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from services.devstack.main import OPS_PORT_SETTINGS, STATE_DIR

HTTP = ("http_requests_total", "http_request_duration_seconds")
RELAY = ("orderwatch_outbox_unsent", "orderwatch_outbox_oldest_unsent_seconds", "orderwatch_outbox_published_total")
# What each process counts or samples itself; a metric listed here with no series is a bug.
EXPECTED: dict[str, tuple[str, ...]] = {
    "order-watch-api": HTTP,
    "carrier-adapter": (*HTTP, "carrier_adapter_webhook_seconds", "carrier_adapter_webhooks_accepted_total"),
    "order-watch-worker": (
        "orderwatch_consumer_lag",
        "orderwatch_dlq_messages",
        "orderwatch_open_alerts",
        "orderwatch_open_tasks",
        "orderwatch_consumed_total",
        "orderwatch_batch_seconds",
        "orderwatch_batch_size",
    ),
    "order-watch-relay": RELAY,
    "carrier-adapter-relay": RELAY,
    "order-watch-scheduler": ("orderwatch_escalations",),
    "order-watch-notifier": ("orderwatch_notices_unrouted",),
    "order-watch-learn": ("orderwatch_delivery_model_fitted_timestamp_seconds",),
}


@dataclass(frozen=True)
class Reading:
    process: str
    metric: str
    series: int
    total: float


def read_env(path: Path) -> dict[str, str]:
    """`export NAME='value'` lines of the devstack's env file."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = value.strip("'")
    return values


def targets(env: dict[str, str]) -> dict[str, str]:
    """Base URL of every process that serves /metrics."""
    urls = {"order-watch-api": env["ORDER_WATCH_URL"], "carrier-adapter": env["CARRIER_ADAPTER_URL"]}
    return urls | {process: f"http://127.0.0.1:{env[setting]}" for process, setting in OPS_PORT_SETTINGS.items()}


def samples(url: str) -> dict[str, list[float]]:
    """Every sample value by metric name (a histogram by its `_count` samples, a counter by `_total`)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    found: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(text):
        name = f"{family.name}_total" if family.type == "counter" else family.name
        wanted = f"{family.name}_count" if family.type == "histogram" else name
        found[name] = [sample.value for sample in family.samples if sample.name == wanted]
    return found


def scrape(env: dict[str, str]) -> tuple[list[Reading], list[str]]:
    """Readings of every expected metric, and what is missing (a process down, or a metric without series)."""
    readings: list[Reading] = []
    missing: list[str] = []
    for process, url in targets(env).items():
        try:
            found = samples(url)
        except OSError as exc:
            missing.append(f"{process}: {url}/metrics unreachable ({exc})")
            continue
        for metric in EXPECTED[process]:
            values = found.get(metric, [])
            if values:
                readings.append(Reading(process, metric, len(values), sum(values)))
            else:
                missing.append(f"{process}: {metric} has no value")
    return readings, missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.devstack.scrape", description=__doc__)
    parser.add_argument("--env", type=Path, default=STATE_DIR / "env", help="the devstack's env file")
    args = parser.parse_args(argv)
    readings, missing = scrape(read_env(args.env))
    for reading in readings:
        print(f"{reading.process:24} {reading.metric:44} {reading.series:4} series  sum {reading.total:g}")
    for line in missing:
        print(f"MISSING {line}", file=sys.stderr)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
