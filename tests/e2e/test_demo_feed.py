"""The live demo feed through the real, signed webhook endpoints: its story raises the alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from services.carrier_adapter.webhooks.models import TrackingEventRow
from services.devstack.demo import Feed
from services.order_watch.alerts.models import Alert
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration


async def test_demo_story_raises_a_downgrade_alert_and_carrier_dialects_are_accepted(
    carrier_adapter_settings, order_watch_settings, sessions
):
    secrets = {"ups": "demo-ups", "fedex": "demo-fedex"}
    adapter_settings = carrier_adapter_settings.model_copy(update={"webhook_secrets": secrets})
    async with (
        running_system(adapter_settings, order_watch_settings, sessions) as system,
        httpx.AsyncClient(timeout=10) as client,
    ):
        feed = Feed(order_watch_settings, client, system.adapter_url, secrets, seed=7)
        now = datetime.now(UTC)
        story = await feed.start(now)

        async def story_alert():
            async with sessions() as session:
                return await session.scalar(
                    select(Alert).where(Alert.order_id == story, Alert.rule == "service_downgrade")
                )

        alert = await eventually(story_alert, timeout=30)
        assert alert.status == "open"
        # The trickle goes on (it may deliver the story parcel, which rightly clears things).
        for step in range(6):  # every webhook must be accepted (raise_for_status inside)
            await feed.tick(now + timedelta(minutes=step))
    async with sessions() as session:
        sources = set(await session.scalars(select(TrackingEventRow.source).distinct()))
        count = await session.scalar(select(func.count()).select_from(TrackingEventRow))
    assert count > 0 and sources <= {"ups", "fedex"}
