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
# long-lived modules and caches, which cannot be garbage. In a web server the same walk is a
# stall: full collections of the start-up heap took up to 80 ms of CPU each, nine of them in an
# 8-second intake run, with every request in flight waiting (bench/intake.py at c=32, measured
# with gc.callbacks); after the freeze there were none.
YOUNG_GC_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Exempt what exists at start-up from collection and collect the young less often: once per
    process (a worker, a web server), after its imports and set-up.

    Reference counting still frees nearly everything at once; the collector only finds cycles,
    and a batch's or a request's cycles (ORM sessions, results) are found at the next, rarer collection.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)
