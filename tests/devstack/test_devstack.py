"""`make run`'s runner as a user starts it: healthy, refuses a second copy, leaves nothing behind."""

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

pytestmark = pytest.mark.integration


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_devstack_runs_refuses_a_second_copy_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("POSTGRES", "BROKER", "ORDER_WATCH", "CARRIER_ADAPTER")}
    ports["OPS"] = free_port_run(len(OPS_PORT_SETTINGS))
    env = {**os.environ, **{f"DEVSTACK_{name}_PORT": str(port) for name, port in ports.items()}}
    devstack = str(Path(sys.executable).parent / "devstack")
    log = open(tmp_path / "devstack.out", "wb")  # noqa: SIM115
    runner = subprocess.Popen([devstack, "--no-demo"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    urls = [f"http://127.0.0.1:{ports['ORDER_WATCH']}", f"http://127.0.0.1:{ports['CARRIER_ADAPTER']}"]
    try:
        deadline = time.monotonic() + 90
        while not all(healthy(url) for url in urls):
            assert runner.poll() is None, (tmp_path / "devstack.out").read_text()
            assert time.monotonic() < deadline, "not healthy within 90 s"
            time.sleep(0.5)
        started = descendants(runner.pid)
        assert len(started) >= 7  # postgres, broker, two servers, worker, two relays, scheduler
        env_file = (tmp_path / ".devstack" / "env").read_text()
        for name in (
            "ORDER_WATCH_URL",
            "CARRIER_ADAPTER_URL",
            "DATABASE_URL",
            "KAFKA_BOOTSTRAP_SERVERS",
            "CARRIER_ADAPTER_WEBHOOK_SECRETS__GENERIC",
        ):
            assert f"export {name}=" in env_file
        second = subprocess.run(
            [devstack, "--no-demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
    finally:
        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=60) == 0, (tmp_path / "devstack.out").read_text()
        log.close()
    time.sleep(0.5)
    alive = [process for process in started if process.is_running() and process.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"left running: {alive}"
    assert "nothing left running" in (tmp_path / "devstack.out").read_text()
