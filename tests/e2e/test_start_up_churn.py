"""`make run`'s start-up, measured: the demo backlog (120 orders over four days, their labels over
the broker and their scans through the signed webhooks, in the worst order: every label before
any scan) raises no case that clears itself within a minute and creates no task that is
cancelled without a new fact about its order (a task the scans then made needless is fine: the
facts changed). Each of those would have paged
someone about nothing (issue: "no alarm on missing data until it could have arrived").

`CHURN_ORDERS=2000` runs the same with a bigger backlog (the load variant; not in `make test`).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text

from services.devstack.demo import BACKLOG_ORDERS, Feed
from services.order_watch.alerts.models import Alert
from services.order_watch.orders.models import Order, TrackingEvent
from services.order_watch.tasks.models import Task
from tests.support.events import DEMO_SECRETS
from tests.support.system import running_system

pytestmark = pytest.mark.integration
MINUTE = timedelta(minutes=1)
ORDERS = int(os.environ.get("CHURN_ORDERS", BACKLOG_ORDERS))
CANCELLED_ON_UNCHANGED_FACTS = """
SELECT t.order_id, t.reason FROM order_watch.tasks t
WHERE t.status = 'cancelled' AND NOT EXISTS (
    SELECT 1 FROM order_watch.shipments s
    LEFT JOIN order_watch.tracking_events e ON (e.carrier, e.tracking_number) = (s.carrier, s.tracking_number)
    LEFT JOIN order_watch.carrier_estimates c ON (c.carrier, c.tracking_number) = (s.carrier, s.tracking_number)
    WHERE s.order_id = t.order_id AND (
        s.received_at > t.created_at AND s.received_at <= t.closed_at
        OR e.received_at > t.created_at AND e.received_at <= t.closed_at
        OR c.received_at > t.created_at AND c.received_at <= t.closed_at))"""


async def settled(sessions, orders: int) -> int:
    """The number of scans stored, once every order is and the count has stopped growing."""
    previous = -1
    for _ in range(300):
        async with sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(Order))
            scans = await session.scalar(select(func.count()).select_from(TrackingEvent))
        if stored >= orders and scans == previous:
            return scans
        previous = scans
        await asyncio.sleep(2)  # let the pipeline move before looking again
    raise AssertionError(f"the pipeline did not settle: {stored} orders, {scans} scans")


async def _hold(held: list[tuple[str, dict]], source: str, document: dict) -> None:
    held.append((source, document))


async def test_start_up_raises_nothing_that_clears_itself(carrier_adapter_settings, order_watch_settings, sessions):
    secrets = DEMO_SECRETS
    adapter_settings = carrier_adapter_settings.model_copy(update={"webhook_secrets": secrets})
    async with (
        running_system(adapter_settings, order_watch_settings, sessions) as system,
        httpx.AsyncClient(timeout=10) as client,
        Feed(order_watch_settings, client, system.adapter_url, secrets, seed=11) as feed,
    ):
        # The worst order of arrival: every label consumed before any scan reaches the webhooks.
        held: list[tuple[str, dict]] = []
        post = feed.post
        feed.post = lambda source, document: _hold(held, source, document)  # type: ignore[method-assign]
        started = datetime.now(UTC)
        await feed.start(started, backlog_orders=ORDERS)
        await settled(sessions, ORDERS + 1)
        for source, document in held:
            await post(source, document)
        scans = await settled(sessions, ORDERS + 1)
        assert scans > ORDERS  # the backlog's history really came through the webhooks
        async with sessions() as session:
            cases = list(await session.scalars(select(Alert)))
            tasks = list(await session.scalars(select(Task)))
            unchanged = (await session.execute(text(CANCELLED_ON_UNCHANGED_FACTS))).all()
    flapped = [c for c in cases if c.resolved_at is not None and c.resolved_at - c.opened_at < MINUTE]
    assert cases, "the backlog has real problems (the story's downgrade at least)"
    assert [(c.order_id, c.rule, c.summary) for c in flapped] == []
    assert [tuple(row) for row in unchanged] == []
    cancelled = sum(1 for task in tasks if task.status == "cancelled")
    print(f"{ORDERS} orders: {len(cases)} cases, {len(tasks)} tasks ({cancelled} cancelled after new facts)")
