"""`republish --since`: what a broker lost after acknowledging it is published again, once more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.common.db import transaction
from services.common.outbox import enqueue, mark_unsent_since
from services.order_watch.db import OutboxMessage
from tests.support.events import order_placed, unique_order_id

pytestmark = pytest.mark.integration


async def test_rows_sent_since_the_instant_are_unsent_again_and_older_ones_are_not(sessions):
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    async with transaction(sessions) as session:
        for _ in range(3):
            event = order_placed(unique_order_id(), placed_at=now, promised_by=now + timedelta(days=2))
            enqueue(session, OutboxMessage, event, now)
        await session.flush()
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        for row, minutes_ago in zip(rows, (30, 10, 1), strict=True):
            row.sent_at = now - timedelta(minutes=minutes_ago)

    marked = await mark_unsent_since(sessions, OutboxMessage, now - timedelta(minutes=15))

    async with sessions() as session:
        unsent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    assert marked == 2
    assert unsent == 2
