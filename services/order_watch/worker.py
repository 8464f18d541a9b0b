"""The order_watch worker: consume orders, shipments and tracking in batches; apply; reconcile.

Two transactions per `getmany()` batch, then the offsets: the first applies the events and
claims their ids; the second finds the orders they touch and re-evaluates them under their
row locks (alerts, tasks and outbox rows commit together there).

Why two and not one (ARCHITECTURE §5.6 asks for one): replicas share the work by key — orders
and labels by order id, scans by tracking number — so one worker may store a label while
another stores the parcel's scans. In one transaction each would look for the other's rows
before either committed; both could miss them, and the case would lag the parcel until its
next check. Looking up and evaluating after the events are committed means that of two such
batches the later one sees both. A crash between the two redelivers the batch: its events are
claimed already (nothing is applied twice), and the orders they name are evaluated then.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.db import database_reachable, transaction
from services.common.kafka import BatchConsumer, Delivered, ensure_topics, make_consumer, make_producer
from services.common.metrics import BATCH_SECONDS, BATCH_SIZE
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.evaluation.service import TrackingMemo
from services.order_watch.orders.flows import orders_touched_by, store_events
from services.order_watch.settings import OrderWatchSettings

log = logging.getLogger(__name__)
CONSUMED_TOPICS = ("orders.v1", "shipments.v1", "tracking.v1")


# Scan and estimate states kept between batches (a few hundred bytes each): an order is
# re-evaluated at each new scan, and its earlier scans are mapped only once.
TRACKING_STATES_KEPT = 100_000


class BatchApplier:
    """The worker's batch handler: apply events, then re-evaluate the orders they touched (module doc)."""

    def __init__(self, settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.memo = TrackingMemo()

    async def __call__(self, delivered: list[Delivered]) -> None:
        started = time.perf_counter()
        now = self.clock.now()
        self.memo.trim(TRACKING_STATES_KEPT)
        events = [item.event for item in delivered]
        async with transaction(self.sessions) as session:
            await store_events(session, events, now)
        # The memo maps only rows the evaluation reads, and those are committed: a failure from
        # here on leaves every state in it true.
        async with transaction(self.sessions) as session:
            # Every event's orders, not only those of events new to this delivery: after a
            # crash between the two transactions the redelivered batch is all claimed already.
            await self.after_apply(session, await orders_touched_by(session, events))
        BATCH_SECONDS.labels(consumer="order_watch_worker").observe(time.perf_counter() - started)
        BATCH_SIZE.labels(consumer="order_watch_worker").observe(len(delivered))

    async def after_apply(self, session: AsyncSession, touched: set[str]) -> None:
        """Re-evaluate only the orders this batch touched, in the evaluation's transaction."""
        await evaluate_orders(session, touched, self.clock.now(), self.settings.origin_time_zone, self.memo)


async def run_worker(
    settings: OrderWatchSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock, stop: asyncio.Event
) -> None:
    await ensure_topics(settings, CONSUMED_TOPICS)
    consumer = make_consumer(settings, settings.consumer_group, max_poll_records=settings.worker_max_batch)
    producer = make_producer(settings)
    await producer.start()
    await consumer.start()
    try:
        loop = BatchConsumer(
            settings,
            consumer,
            producer,
            BatchApplier(settings, sessions, clock),
            topics=CONSUMED_TOPICS,
            max_records=settings.worker_max_batch,
            healthy=lambda: database_reachable(sessions.kw["bind"]),
            name="order_watch_worker",
        )
        loop.subscribe()
        log.info("worker consuming", extra={"topics": list(CONSUMED_TOPICS), "group": settings.consumer_group})
        await loop.run(stop)
    finally:
        await consumer.stop()
        await producer.stop()
