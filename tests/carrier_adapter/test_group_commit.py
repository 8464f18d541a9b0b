"""Group commit against the real database: webhooks stored together are each answered for what the
database did with them — stored once, a duplicate as a duplicate, one bad row failing only its own."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text

from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.carriers.base import WebhookRequest
from services.carrier_adapter.webhooks.flows import Accepted, accept_webhook
from services.carrier_adapter.webhooks.group_commit import GroupCommit
from services.common.db import statement_pool
from tests.support.events import generic_scan

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def webhook(scan: dict[str, object]) -> WebhookRequest:
    body = json.dumps(scan).encode()
    return WebhookRequest("POST", "/webhooks/generic", {"content-type": "application/json"}, {}, body)


async def accept(store: GroupCommit, request: WebhookRequest, *, tracking_number: str | None = None) -> Accepted:
    source = all_sources()["generic"]
    now = datetime.now(UTC)
    normalized = source.normalize(request, now)
    if tracking_number is not None:  # what no validation lets through, to make the database refuse it
        normalized.events[0] = normalized.events[0].model_copy(update={"tracking_number": tracking_number})
    return await accept_webhook(store, source, request, normalized, content_type="application/json", now=now)


async def counts(sessions) -> tuple[int, int, int, int]:
    """Deliveries, scans, outbox rows, and the transactions that wrote the deliveries."""
    async with sessions() as session:
        row = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM carrier_adapter.deliveries),"
                    " (SELECT count(*) FROM carrier_adapter.tracking_events),"
                    " (SELECT count(*) FROM carrier_adapter.outbox),"
                    " (SELECT count(DISTINCT xmin::text) FROM carrier_adapter.deliveries)"
                )
            )
        ).one()
    return tuple(row)


async def test_webhooks_arriving_together_share_statements_and_each_is_answered_for_itself(stack, sessions):
    distinct = [webhook(generic_scan(f"1ZGROUP{index:04d}", at=START)) for index in range(40)]
    resent = webhook(generic_scan("1ZGROUPRESENT", at=START))
    # Two deliveries (different bytes) carrying the same scan: the scan is new for one of them only.
    shared = [webhook(generic_scan("1ZGROUPSHARED", at=START, description=description)) for description in ("a", "b")]
    async with statement_pool(stack.database_url, max_size=2) as pool:
        store = GroupCommit(pool, statements=2)
        answers = await asyncio.gather(*(accept(store, request) for request in [*distinct, *[resent] * 5, *shared]))
    fresh, repeats, both = answers[:40], answers[40:45], answers[45:]
    assert all(not answer.duplicate and answer.new_events == 1 for answer in fresh)
    assert sorted(answer.duplicate for answer in repeats) == [False, True, True, True, True]
    assert sum(answer.new_events for answer in repeats) == 1
    assert not any(answer.duplicate for answer in both)
    assert sorted(answer.new_events for answer in both) == [0, 1]
    deliveries, scans, outbox, transactions = await counts(sessions)
    assert (deliveries, scans, outbox) == (43, 42, 42)
    assert transactions < deliveries  # several webhooks were stored by one statement


async def test_a_row_the_database_refuses_fails_only_its_own_webhook(stack, sessions):
    good = [webhook(generic_scan(f"1ZGOOD{index:04d}", at=START + timedelta(minutes=index))) for index in range(10)]
    bad = webhook(generic_scan("1ZBAD", at=START))
    async with statement_pool(stack.database_url, max_size=1) as pool:
        store = GroupCommit(pool, statements=1)
        answers = await asyncio.gather(
            *(accept(store, request) for request in good[:5]),
            accept(store, bad, tracking_number="1Z" + "9" * 200),  # the column holds 100
            *(accept(store, request) for request in good[5:]),
            return_exceptions=True,
        )
    refused = answers[5]
    assert isinstance(refused, asyncpg.StringDataRightTruncationError)
    assert all(isinstance(answer, Accepted) and answer.new_events == 1 for answer in answers[:5] + answers[6:])
    deliveries, scans, outbox, _ = await counts(sessions)
    assert (deliveries, scans, outbox) == (10, 10, 10)


async def test_a_webhook_sent_while_the_database_is_unreachable_fails_as_an_outage(stack):
    unreachable = stack.database_url.replace(f":{stack.postgres.port}/", ":1/")
    async with statement_pool(unreachable, max_size=1) as pool:
        store = GroupCommit(pool, statements=1)
        answers = await asyncio.gather(
            *(accept(store, webhook(generic_scan(f"1ZDOWN{index}", at=START))) for index in range(3)),
            return_exceptions=True,
        )
    assert all(isinstance(answer, OSError) for answer in answers), answers
