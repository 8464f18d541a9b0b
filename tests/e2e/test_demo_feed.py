"""The live demo feed through the real broker and the real, signed webhook endpoints: the story
raises its alert and task at once and keeps them (its ground parcel is days from delivery), the
backlog's past arrives in every dialect, and nothing is sent before its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from services.carrier_adapter.webhooks.models import TrackingEventRow
from services.devstack.demo import Feed
from services.order_watch.alerts.models import Alert
from services.order_watch.orders.models import Order, Shipment
from services.order_watch.tasks.models import Task
from tests.support.events import DEMO_SECRETS
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration


async def test_demo_story_keeps_its_alert_while_the_backlog_and_trickle_arrive_on_time(
    carrier_adapter_settings, order_watch_settings, sessions
):
    secrets = DEMO_SECRETS
    adapter_settings = carrier_adapter_settings.model_copy(update={"webhook_secrets": secrets})
    async with (
        running_system(adapter_settings, order_watch_settings, sessions) as system,
        httpx.AsyncClient(timeout=10) as client,
        Feed(order_watch_settings, client, system.adapter_url, secrets, seed=7) as feed,
    ):
        now = datetime.now(UTC)
        story = await feed.start(now, backlog_orders=30)

        async def story_alert_and_task():
            async with sessions() as session:
                alert = await session.scalar(
                    select(Alert).where(Alert.order_id == story, Alert.rule == "service_downgrade")
                )
                task = await session.scalar(select(Task).where(Task.order_id == story))
            return (alert, task) if alert and task else None

        alert, task = await eventually(story_alert_and_task, timeout=30)
        assert (alert.status, task.status) == ("open", "open")
        last = now
        for minutes in range(1, 7):
            last = now + timedelta(minutes=minutes)
            await feed.tick(last)
        assert feed.refused == 0  # every webhook, in every dialect, was accepted

        async def backlog_orders_stored():
            async with sessions() as session:
                count = await session.scalar(select(func.count()).select_from(Order).where(Order.order_id != story))
            return count if count >= 30 else None

        await eventually(backlog_orders_stored, timeout=30)
    async with sessions() as session:
        sources = set(await session.scalars(select(TrackingEventRow.source).distinct()))
        latest = await session.scalar(select(func.max(TrackingEventRow.event_time)))
        parcel = await session.scalar(select(Shipment.tracking_number).where(Shipment.order_id == story))
        story_statuses = set(
            await session.scalars(select(TrackingEventRow.status).where(TrackingEventRow.tracking_number == parcel))
        )
        alert = await session.scalar(select(Alert).where(Alert.order_id == story, Alert.rule == "service_downgrade"))
    assert sources == {"ups", "fedex", "generic"}
    assert latest <= last  # nothing is sent before its event time
    assert alert.status == "open"  # UPS Ground is days from New York: nothing clears the story
    assert "delivered" not in story_statuses
