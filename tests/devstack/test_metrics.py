"""`make run` as an operator sees it: every process serves /metrics with the metrics it owns, and
the stack stops loudly (exit 1, one line naming it) when the broker dies under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from services.devstack.main import OPS_PORT_SETTINGS
from services.devstack.processes import free_port, free_port_run
from services.devstack.scrape import read_env, scrape
from tests.devstack.test_devstack import descendants, healthy

pytestmark = pytest.mark.integration


def wait_for_scrape(env: dict[str, str], runner: subprocess.Popen[bytes], log: Path, timeout: float = 150) -> dict:
    """Scrape until every process reports every expected metric and the demo's alerts are counted."""
    deadline = time.monotonic() + timeout
    while True:
        assert runner.poll() is None, log.read_text()
        readings, missing = scrape(env)
        totals = {(r.process, r.metric): r.total for r in readings}
        if not missing and totals.get(("order-watch-worker", "orderwatch_open_alerts"), 0) > 0:
            return totals
        assert time.monotonic() < deadline, f"still missing after {timeout:.0f}s: {missing}"
        time.sleep(2)


def test_every_process_serves_its_metrics_and_a_dead_broker_stops_the_stack(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("POSTGRES", "BROKER", "ORDER_WATCH", "CARRIER_ADAPTER")}
    ports["OPS"] = free_port_run(len(OPS_PORT_SETTINGS))
    env = {**os.environ, **{f"DEVSTACK_{name}_PORT": str(port) for name, port in ports.items()}}
    env["DEMO_INTERVAL_SECONDS"] = "2"
    log_path = tmp_path / "devstack.out"
    log = open(log_path, "wb")  # noqa: SIM115
    runner = subprocess.Popen(
        [str(Path(sys.executable).parent / "devstack")], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while not healthy(f"http://127.0.0.1:{ports['ORDER_WATCH']}"):
            assert runner.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        stack_env = read_env(tmp_path / ".devstack" / "env")
        totals = wait_for_scrape(stack_env, runner, log_path)
        assert totals[("carrier-adapter", "carrier_adapter_webhook_seconds")] > 0  # the demo's scans
        assert totals[("carrier-adapter-relay", "orderwatch_outbox_published_total")] > 0
        for process, setting in OPS_PORT_SETTINGS.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{stack_env[setting]}/readyz", timeout=5) as ready:
                assert ready.status == 200, process
        started = descendants(runner.pid)
        broker = next(p for p in started if "tansu" in " ".join(p.cmdline()))
        broker.kill()
        assert runner.wait(timeout=60) == 1
    finally:
        if runner.poll() is None:
            runner.send_signal(signal.SIGINT)
            runner.wait(timeout=60)
        log.close()
    output = log_path.read_text()
    assert "!! the Kafka-protocol broker exited with code -9" in output
    time.sleep(0.5)
    alive = [process for process in started if process.is_running() and process.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"left running: {alive}"
