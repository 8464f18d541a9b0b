"""Rows queued with `append_row` live and die with their transaction, on the real database.

The worker's outbox, audit, history and notice rows are queued on the session and written in
bulk at the next flush, statement or commit: a batch that fails must leave none of them behind,
whether they were already written or still queued, and a retry must write each once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from services.common.outbox import outbox_row
from services.order_watch.db import OutboxMessage, append_row
from tests.support.events import order_placed, unique_order_id

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def _row(order_id: str) -> dict:
    return outbox_row(order_placed(order_id, placed_at=NOW, promised_by=NOW + timedelta(days=2)), NOW)


class BatchFailed(Exception):
    pass


async def _outbox_keys(sessions) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage.message_key).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("written_before_failure", [True, False])
async def test_a_failed_batch_leaves_no_appended_row_and_its_retry_writes_each_once(sessions, written_before_failure):
    failed, retried = unique_order_id(), unique_order_id()
    async with sessions() as session:  # one session for both attempts, the harder case
        with pytest.raises(BatchFailed):
            async with session.begin():
                append_row(session, OutboxMessage.__table__, _row(failed))
                if written_before_failure:
                    await session.execute(text("SELECT 1"))  # a statement writes what is queued
                raise BatchFailed
        async with session.begin():
            append_row(session, OutboxMessage.__table__, _row(retried))
    assert await _outbox_keys(sessions) == [retried]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
