"""Group commit: webhooks that arrive while the database is busy are stored together, by one statement.

Each webhook still waits for the commit of the statement that stored it before it is answered
(ARCHITECTURE §5.4: 2xx only once durable). What is shared is the work around a commit: one round
trip, one statement to plan and execute, one WAL flush for the whole batch instead of one each. A
webhook that finds a connection free is stored at once, alone — nothing waits for a batch to fill —
so batches form only under load, as big as the load makes them.

At most `statements` run at a time, each on a connection of the pool. A batch never holds two
deliveries that share a key (the same delivery, or the same scan, sent twice at once): the later
one waits for the next batch, so each delivery's answer is the database's own (stored or
duplicate). When a batch fails for a reason of its own rather than an outage, each of its
webhooks is stored alone, so one sender's bad data cannot fail another's delivery.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

import asyncpg

from services.carrier_adapter.webhooks.service import DeliveryRows, store_deliveries
from services.common.db import pooled
from services.common.retry import is_transient

MAX_BATCH = 100  # deliveries in one statement
MAX_BATCH_BYTES = 4 << 20  # raw bodies in one statement (one body alone may be bigger: it goes alone)


@dataclass(frozen=True)
class Stored:
    """What the database did with one delivery: its id (None for a duplicate) and its new scans."""

    delivery_id: int | None
    new_events: int


@dataclass
class _Waiting:
    rows: DeliveryRows
    answer: asyncio.Future[Stored] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    """Stores deliveries through a `db.statement_pool`, several per statement when they queue up."""

    def __init__(self, pool: asyncpg.Pool, *, statements: int) -> None:
        self._pool = pool
        self._statements = statements
        self._waiting: deque[_Waiting] = deque()
        self._writers: set[asyncio.Task[None]] = set()

    async def store(self, rows: DeliveryRows) -> Stored:
        """Store one delivery; returns once the statement that stored it has committed."""
        waiting = _Waiting(rows)
        self._waiting.append(waiting)
        if len(self._writers) < self._statements:
            writer = asyncio.create_task(self._write())
            self._writers.add(writer)  # the loop keeps only a weak reference to a task
            writer.add_done_callback(self._writers.discard)
        return await waiting.answer

    async def _write(self) -> None:
        """Store batches until nobody waits (then this writer ends; the next webhook starts another)."""
        while batch := self._next_batch():
            try:
                await self._store(batch)
            except Exception as exc:
                if len(batch) == 1 or is_transient(exc):
                    _fail(batch, exc)
                else:
                    for waiting in batch:
                        await self._store_alone(waiting)

    async def _store_alone(self, waiting: _Waiting) -> None:
        try:
            await self._store([waiting])
        except Exception as exc:
            _fail([waiting], exc)

    async def _store(self, batch: list[_Waiting]) -> None:
        async with pooled(self._pool) as connection:
            results = await store_deliveries(connection, [waiting.rows for waiting in batch])
        for waiting, (delivery_id, new_events) in zip(batch, results, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(Stored(delivery_id, new_events))

    def _next_batch(self) -> list[_Waiting]:
        """The oldest waiting deliveries that share no key, up to the batch limits."""
        batch: list[_Waiting] = []
        later: list[_Waiting] = []
        keys: set[str] = set()
        size = 0
        while self._waiting and len(batch) < MAX_BATCH:
            waiting = self._waiting.popleft()
            if waiting.answer.done():
                continue  # its request was cancelled: no answer is owed, nothing is stored
            if batch and (size + waiting.rows.size > MAX_BATCH_BYTES):
                self._waiting.appendleft(waiting)
                break
            if keys.isdisjoint(waiting.rows.keys):
                batch.append(waiting)
                keys |= waiting.rows.keys
                size += waiting.rows.size
            else:
                later.append(waiting)
        self._waiting.extendleft(reversed(later))
        return batch


def _fail(batch: list[_Waiting], exc: Exception) -> None:
    for waiting in batch:
        if not waiting.answer.done():
            waiting.answer.set_exception(exc)
