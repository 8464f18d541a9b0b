"""Process life cycle: run long-lived loops until SIGINT/SIGTERM, sleep without missing a stop, and
set the garbage collector for batch work."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, returning early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_until_stopped(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` with `stop` set by SIGINT/SIGTERM, for a graceful shutdown."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    await main(stop)


# A batch of 2,000 events allocates hundreds of thousands of objects that live until its commit.
# At the interpreter's default (a young collection every 700 allocations) the collector ran
# about 1,400 times per 25,000-event backlog and took over a quarter of the worker's CPU
# (bench/worker.py, measured with gc.callbacks); most of what it walked was the process's
# long-lived modules and caches, which cannot be garbage.
BATCH_GC_THRESHOLD = 50_000


def freeze_start_up_heap() -> None:
    """Exempt what exists now (modules, routes, caches built at start-up) from every collection.

    In a web server, full collections walking that heap were stalls: up to 80 ms of CPU each,
    nine in an 8-second intake run at c=32 and one every second or so under bench/lists.py, with
    every request in flight waiting (measured with gc.callbacks). After the freeze, none.
    The young are still collected at the interpreter's default: a server's requests leave
    cycles (ORM sessions) that a rarer, larger young collection would walk in one longer pause.
    """
    gc.collect()
    gc.freeze()


def collect_for_batches() -> None:
    """`freeze_start_up_heap`, and collect the young less often: for a process working in
    batches, where throughput counts and a pause costs a batch, not a request.

    Reference counting still frees nearly everything at once; the collector only finds cycles,
    and a batch's cycles (ORM sessions, results) are found at the next, rarer collection.
    """
    freeze_start_up_heap()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(BATCH_GC_THRESHOLD, middle, old)
