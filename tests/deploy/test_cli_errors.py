"""What an operator can fix is one line naming the setting, exit code 2, no traceback: the real
console scripts, run as an operator runs them, against a database and a broker that are not there
(`order-watch token list` without the env file printed a 139-line traceback)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services.devstack.processes import free_port
from tests.support.events import story_events, unique_order_id

BIN = Path(sys.executable).parent
SHARED = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if name not in SHARED}
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_no_env_file_names_database_url(tmp_path: Path) -> None:
    line = one_line(run(["order-watch", "token", "list"], tmp_path))
    assert line.startswith("order-watch: cannot reach PostgreSQL at 127.0.0.1:5432/orderwatch")
    assert "DATABASE_URL is not set" in line and ". .devstack/env" in line


@pytest.mark.parametrize("command", [["order-watch", "migrate"], ["carrier-adapter", "renormalize"]])
def test_an_unreachable_database_is_named(command: list[str], tmp_path: Path) -> None:
    port = free_port()
    line = one_line(run(command, tmp_path, DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/ow"))
    assert (
        line == f"{command[0]}: cannot reach PostgreSQL at 127.0.0.1:{port}/ow (from DATABASE_URL): connection refused"
    )


def test_an_unreachable_broker_is_named(tmp_path: Path) -> None:
    port = free_port()
    line = one_line(run(["ow-topics"], tmp_path, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"))
    assert line == f"ow-topics: cannot reach the Kafka broker at 127.0.0.1:{port} (from KAFKA_BOOTSTRAP_SERVERS)"


def test_a_bad_setting_is_named_with_its_value(tmp_path: Path) -> None:
    line = one_line(run(["order-watch", "serve"], tmp_path, ORDER_WATCH_HTTP_PORT="eighty"))
    assert line.startswith("order-watch: invalid setting ORDER_WATCH_HTTP_PORT: ")
    assert "'eighty'" in line


@pytest.mark.integration
def test_ow_publish_into_missing_topics_reports_nothing_sent(tmp_path: Path, stack, topic_prefix: str) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(json.dumps(e.model_dump(mode="json")) + "\n" for e in story_events(unique_order_id(), "1Z1"))
    )
    result = run(
        ["ow-publish", str(events)],
        tmp_path,
        KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers,
        KAFKA_TOPIC_PREFIX=topic_prefix,
    )
    line = one_line(result)
    assert line.startswith(f"ow-publish: the broker does not list topic(s) {topic_prefix}")
    assert "ow-topics" in line and "sent" not in result.stdout


def test_a_taken_operations_port_names_its_setting(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = one_line(run(["order-watch", "worker"], tmp_path, ORDER_WATCH_WORKER_OPS_PORT=str(port)))
    assert line.startswith(f"order-watch: order-watch worker cannot serve operations on 127.0.0.1:{port} ")
    assert line.endswith("set ORDER_WATCH_WORKER_OPS_PORT")


def test_a_missing_payload_file_is_named(tmp_path: Path) -> None:
    line = one_line(
        run(["carrier-adapter", "sign", "--source", "generic", "--file", "nope.json", "--secret", "x"], tmp_path)
    )
    assert line == "carrier-adapter: no such file: nope.json"
