"""Webhook intake benchmark: `wrk` (a real load generator, its own process) against
`carrier-adapter serve` (its own process), posting UPS Track Alert bodies — each with a tracking
number of its own, so every one is a new delivery — next to the no-op route `/healthz` on the
same server, at several concurrencies. Afterwards every 202 is looked for in the database.

Beside each rate: the CPU time the server process and PostgreSQL (all its processes) spent per
request, a figure other jobs on a shared machine do not lower as they lower the rates.

    PYTHONPATH=. .venv/bin/python bench/intake.py [--seconds 8] [--concurrency 8 32 128]

Needs `wrk` (Debian's package; `make bench` installs it). Timings only — nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.on_stack import run_on_stack
from services.devstack.processes import free_port
from services.devstack.stack import Stack

TOKEN = "bench-ups-token"
PAYLOAD = (
    Path(__file__).resolve().parents[1] / "tests/carrier_adapter/carriers/payloads/ups/alert_out_for_delivery.json"
)

# Each wrk thread numbers its requests; thread ids keep the tracking numbers of threads apart.
POST_SCRIPT = """
local template = [=[%s]=]
local token = "%s"
local counter = 0
accepted = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local number = string.format("1Z%%d%%s%%012d", id, run, counter)
  local body = string.gsub(template, "TRACKING", number)
  return wrk.format("POST", "/webhooks/ups", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("accepted") end
  io.write(string.format("accepted %%d\\n", total))
end
"""


def ups_template() -> str:
    body = json.loads(PAYLOAD.read_text())
    body["trackingNumber"] = "TRACKING"
    return json.dumps(body)


def start_server(stack: Stack, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": stack.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "CARRIER_ADAPTER_HTTP_PORT": str(port),
        "CARRIER_ADAPTER_WEBHOOK_SECRETS": json.dumps({"ups": TOKEN}),
        "LOG_LEVEL": "WARNING",
    }
    return serve_process([script("carrier-adapter"), "serve"], env, port, log)


def script(name: str) -> str:
    """A console script of this virtualenv."""
    return str(Path(sys.executable).with_name(name))


def serve_process(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start an HTTP server process; returns once it answers `/healthz`."""
    server = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise TimeoutError(f"{' '.join(command)} did not answer /healthz; see {log}")


def wrk(url: str, concurrency: int, seconds: int, script: Path | None = None) -> dict[str, Any]:
    """Requests/s, p50/p99 latency (ms) and, with the POST script, how many were answered 202."""
    command = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = {
        "concurrency": concurrency,
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))),  # type: ignore[union-attr]
        "p50_ms": _latency(output, "50"),
        "p99_ms": _latency(output, "99"),
        "non_2xx": int(match.group(1)) if (match := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
    }
    if (match := re.search(r"accepted (\d+)", output)) is not None:
        result["accepted"] = int(match.group(1))
    return result


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()  # type: ignore[union-attr]
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def cpu_seconds(process: psutil.Process, *, with_children: bool = False) -> float:
    """User + system CPU time of a process (and, for PostgreSQL, of every backend it forked)."""
    processes = [process, *(process.children(recursive=True) if with_children else [])]
    total = 0.0
    for each in processes:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue  # a backend that ended in between; its time is lost, not double-counted
        total += times.user + times.system
    return total


def measured(
    watched: tuple[psutil.Process, psutil.Process],
    url: str,
    concurrency: int,
    seconds: int,
    script: Path | None = None,
) -> dict[str, Any]:
    """`wrk`'s result with the CPU ms the server and PostgreSQL spent per request (per 202 with the
    POST script)."""
    server, postgres = watched
    before = cpu_seconds(server), cpu_seconds(postgres, with_children=True)
    result = wrk(url, concurrency, seconds, script)
    after = cpu_seconds(server), cpu_seconds(postgres, with_children=True)
    count = max(result.get("accepted", result["requests"]), 1)
    result["server_cpu_ms"] = round((after[0] - before[0]) * 1000 / count, 3)
    result["postgres_cpu_ms"] = round((after[1] - before[1]) * 1000 / count, 3)
    return result


def stored_deliveries(stack: Stack) -> int:
    sql = "SELECT count(*) FROM carrier_adapter.deliveries WHERE source = 'ups'"
    return int(stack.postgres.psql(sql, database=stack.postgres.database))


def measure(stack: Stack, args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    port = free_port()
    server = start_server(stack, port, work_dir / "adapter.log")
    try:
        base = f"http://127.0.0.1:{port}"
        watched = psutil.Process(server.pid), psutil.Process(stack.postgres.process.pid)  # type: ignore[union-attr]
        rows = []
        for concurrency in args.concurrency:
            script = work_dir / f"post-{concurrency}.lua"
            script.write_text(f'run = "{concurrency:03d}"\n' + POST_SCRIPT % (ups_template(), TOKEN))
            noop = measured(watched, f"{base}/healthz", concurrency, args.seconds)
            intake = measured(watched, base, concurrency, args.seconds, script)
            intake["ratio_to_noop"] = round(intake["requests_per_s"] / noop["requests_per_s"], 3)
            rows.append({"noop": noop, "intake": intake})
    finally:
        server.terminate()
        server.wait(timeout=30)
    accepted = sum(row["intake"].get("accepted", 0) for row in rows)
    return {
        "runs": rows,
        "accepted": accepted,
        "stored": stored_deliveries(stack),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        "webhook intake (wrk → carrier-adapter serve, UPS bodies) next to /healthz on the same server",
        "CPU ms per accepted webhook (per request for /healthz): the server process, PostgreSQL",
        f"{'c':>4}{'accepted/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'noop/s':>9}{'noop p99':>10}{'ratio':>8}"
        f"{'cpu ms':>8}{'pg ms':>7}{'noop cpu':>10}",
    ]
    for row in result["runs"]:
        intake, noop = row["intake"], row["noop"]
        lines.append(
            f"{intake['concurrency']:>4}{intake['requests_per_s']:>12}{intake['p50_ms']:>9}{intake['p99_ms']:>9}"
            f"{noop['requests_per_s']:>9}{noop['p99_ms']:>10}{intake['ratio_to_noop']:>8.3f}"
            f"{intake['server_cpu_ms']:>8}{intake['postgres_cpu_ms']:>7}{noop['server_cpu_ms']:>10}"
        )
    lines.append(f"202s answered: {result['accepted']}, deliveries stored: {result['stored']}")
    load = ", ".join(f"{value:.2f}" for value in result["load_average"])
    lines.append(f"load average at the end {load} on {result['cpus']} cores (other jobs lower the rates, not CPU ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--out", default="bench-results/intake.json")
    args = parser.parse_args()
    run_on_stack(lambda stack, work_dir: measure(stack, args, work_dir), args.out, report)
