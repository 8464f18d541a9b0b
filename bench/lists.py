"""Staff list benchmark: `wrk` against `order-watch serve` (its own process) asking for the first
page of open alerts (and of live tasks) while 10,000 alerts are open and ten times as many are
resolved, next to `/healthz` on the same server. A page should cost the same however much
history is stored: the second run has the same open alerts and ten times the history again.
Beside each rate: the CPU ms the server process and PostgreSQL spent per request, a figure other
jobs on the machine do not lower (the latencies they do: the load average is kept with the result).

    PYTHONPATH=. .venv/bin/python bench/lists.py [--open 10000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

import psutil

from bench.intake import measured, script, serve_process
from bench.on_stack import run_on_stack
from services.devstack.processes import free_port
from services.devstack.stack import Stack

CONCURRENCY = 8


def environment(stack: Stack, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": stack.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "ORDER_WATCH_HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


def create_token(env: dict[str, str]) -> str:
    command = [script("order-watch"), "token", "create", "bench", "sales"]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return next(line.split()[1] for line in output.splitlines() if line.startswith("token "))


def add_alerts(stack: Stack, status: str, count: int, start: int) -> None:
    """`count` alerts of `status`, a spread of priorities, act-bys and rules (tasks for every tenth)."""
    stack.postgres.psql(
        f"""
        INSERT INTO order_watch.alerts (alert_id, order_id, rule, shipment_key, status, severity, priority, summary,
            evidence, act_by, escalation_level, opened_at, updated_at, version)
        SELECT gen_random_uuid(), 'BENCH-' || n, (ARRAY['stalled','projected_late','service_downgrade'])[1 + n % 3],
            '', '{status}', 'warning', n % 7, 'bench alert ' || n, '{{}}'::jsonb,
            CASE WHEN n % 5 = 0 THEN NULL ELSE now() + (n % 97) * interval '1 hour' END,
            0, now() - (n % 1000) * interval '1 minute', now(), 1
        FROM generate_series({start}, {start + count - 1}) AS n;
        INSERT INTO order_watch.tasks (task_id, order_id, status, carrier, service_code, service_name, service_level,
            options, expected_delivery, act_by, reason, created_at, updated_at, evidence, version)
        SELECT gen_random_uuid(), 'BENCH-' || n, CASE WHEN '{status}' = 'open' THEN 'open' ELSE 'completed' END,
            'ups', '01', 'UPS Next Day Air', 'NEXT_DAY', '[]'::jsonb, now() + interval '1 day',
            now() + (n % 97) * interval '1 hour', 'bench task', now(), now(), '{{}}'::jsonb, 1
        FROM generate_series({start}, {start + count - 1}, 10) AS n;
        ANALYZE order_watch.alerts; ANALYZE order_watch.tasks;
        """,
        database=stack.postgres.database,
    )


def lists_once(
    watched: tuple[psutil.Process, psutil.Process], base: str, token: str, work_dir: Path, seconds: int
) -> dict[str, Any]:
    script = work_dir / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return {
        "noop": measured(watched, f"{base}/healthz", CONCURRENCY, seconds),
        "alerts_open": measured(watched, f"{base}/alerts?status=open&limit=100", CONCURRENCY, seconds, script),
        "tasks_open": measured(watched, f"{base}/tasks?status=open&limit=100", CONCURRENCY, seconds, script),
        "load_average": os.getloadavg(),
    }


def measure(stack: Stack, args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    port = free_port()
    env = environment(stack, port)
    token = create_token(env)
    add_alerts(stack, "open", args.open, 0)
    add_alerts(stack, "resolved", args.open * 10, args.open)
    server = serve_process([script("order-watch"), "serve"], env, port, work_dir / "order-watch.log")
    try:
        base = f"http://127.0.0.1:{port}"
        watched = psutil.Process(server.pid), psutil.Process(stack.postgres.process.pid)  # type: ignore[union-attr]
        small = lists_once(watched, base, token, work_dir, args.seconds)
        add_alerts(stack, "resolved", args.open * 100, args.open * 11)
        large = lists_once(watched, base, token, work_dir, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"open_alerts": args.open, "history_10x": small, "history_110x": large, "cpus": os.cpu_count()}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"staff lists (wrk c={CONCURRENCY} → order-watch serve): first page of 100, {result['open_alerts']} open",
        "CPU ms per request: the server process, PostgreSQL; load: 1-minute load average after the run",
        f"{'history':<14}{'list':<14}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'server':>8}{'pg':>7}"
        f"{'noop/s':>9}{'noop ms':>9}{'load':>6}",
    ]
    for history in ("history_10x", "history_110x"):
        runs = result[history]
        noop = runs["noop"]
        for name in ("alerts_open", "tasks_open"):
            run = runs[name]
            lines.append(
                f"{history:<14}{name:<14}{run['requests_per_s']:>8}{run['p50_ms']:>9}{run['p99_ms']:>9}"
                f"{run['server_cpu_ms']:>8}{run['postgres_cpu_ms']:>7}{noop['requests_per_s']:>9}"
                f"{noop['server_cpu_ms']:>9}{runs['load_average'][0]:>6.2f}"
            )
            if run["non_2xx"]:
                lines.append(f"  ^ {run['non_2xx']} answers were not 2xx: these figures are not of the list")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--out", default="bench-results/lists.json")
    args = parser.parse_args()
    run_on_stack(lambda stack, work_dir: measure(stack, args, work_dir), args.out, report)
