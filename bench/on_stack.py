"""One benchmark on a throwaway durable stack: start it, measure, stop it, keep the result as JSON
and print the report — the same frame for every bench script; and the worker as its own process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psutil

from services.devstack.processes import free_port, spawn, stop
from services.devstack.stack import Stack, start_stack
from services.order_watch.settings import OrderWatchSettings


def run_on_stack(
    measure: Callable[[Stack, Path], dict[str, Any]], out: str, report: Callable[[dict[str, Any]], str]
) -> None:
    """`measure(stack, work_dir)` on a fresh stack (outside any event loop: alembic runs its own)."""
    with tempfile.TemporaryDirectory(prefix="ow-bench-") as work_dir:
        stack = start_stack(Path(work_dir), durable=True)
        try:
            result = measure(stack, Path(work_dir))
        finally:
            stack.broker.stop()
            stack.postgres.stop()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(report(result))


# Set to a directory to profile every worker a bench starts (py-spy, sampling, in its own process:
# the worker runs unchanged): one collapsed-stack file per worker, named after its log.
PROFILE_DIR = os.environ.get("BENCH_PROFILE_DIR")


def _profiler(pid: int, log_path: Path) -> subprocess.Popen[bytes] | None:
    if not PROFILE_DIR:
        return None
    out = Path(PROFILE_DIR) / f"{log_path.stem}.folded"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--rate", "100",
               "--format", "raw", "--nonblocking", "-o", str(out)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def worker_process(settings: OrderWatchSettings, log_path: Path) -> Iterator[psutil.Process]:
    """`order-watch worker` as its own process on `settings`' database, broker, topics and group,
    as production runs it (its own interpreter, garbage collector and event loop); yields it, for
    its CPU time, and stops it after."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "ORDER_WATCH_CONSUMER_GROUP": settings.consumer_group,
        "ORDER_WATCH_WORKER_OPS_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    child = spawn([str(Path(sys.executable).with_name("order-watch")), "worker"], log_path=log_path, env=env)
    profiler = _profiler(child.pid, log_path)
    try:
        yield psutil.Process(child.pid)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its samples when interrupted
            profiler.wait(timeout=60)
        stop(child)
        if child.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"the worker exited with {child.returncode}: see {log_path}")


@contextmanager
def worker_processes(settings: OrderWatchSettings, log_path: Path, count: int) -> Iterator[psutil.Process]:
    """`count` workers in one consumer group (the partitions split between them), as replicas
    run; yields the first (the others log beside it, `<log>-2.log` …)."""
    with ExitStack() as workers:
        for n in range(2, count + 1):
            workers.enter_context(worker_process(settings, log_path.with_name(f"{log_path.stem}-{n}.log")))
        yield workers.enter_context(worker_process(settings, log_path))
