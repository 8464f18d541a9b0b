"""Route notices to channels, and deliver due notifications with bounded, jittered retries.

At least once: a delivery is marked sent in the transaction that claimed it, after the
receiver answered; a crash in between sends it again with the same `webhook-id`.
After `notification_max_attempts` failures a delivery is `dead` (kept, with its last error).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.notifications import service
from services.order_watch.notifications.models import DEAD, PENDING, SENT, Notification
from services.order_watch.notifications.routing import channels_for
from services.order_watch.notifications.senders import DeliveryFailed, send
from services.order_watch.settings import OrderWatchSettings


def retry_delay(attempts: int, first: float, longest: float) -> timedelta:
    """Exponential from `first`, capped at `longest`, jittered down by up to half (no thundering herd)."""
    ceiling = min(longest, first * 2 ** max(0, attempts - 1))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


async def route_notices(session: AsyncSession, settings: OrderWatchSettings, now: datetime, limit: int = 500) -> int:
    """Turn unrouted notices into one pending delivery per configured channel; returns deliveries added."""
    rows = []
    for notice in await service.claim_unrouted(session, limit):
        for channel in channels_for(settings.notification_routes, notice.change, notice.alert):
            if channel in settings.notification_channels:
                rows.append(_delivery(notice.id, channel, now))
        notice.routed_at = now
    await service.add_deliveries(session, rows)
    return len(rows)


def _delivery(notice_id: int, channel: str, now: datetime) -> dict[str, object]:
    return {
        "notice_id": notice_id,
        "channel": channel,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def deliver_due(
    session: AsyncSession, client: httpx.AsyncClient, settings: OrderWatchSettings, now: datetime
) -> int:
    """Attempt every due delivery once; returns how many were attempted."""
    due = await service.claim_due(session, now, settings.notifier_batch)
    notices = await service.notices_by_id(session, (row.notice_id for row in due))
    for row in due:
        notice = notices[row.notice_id]
        channel = settings.notification_channels.get(row.channel)
        try:
            if channel is None:
                raise DeliveryFailed(f"channel {row.channel!r} is no longer configured")
            await send(client, settings, channel, f"ntf_{row.id}", notice.change, notice.alert, now)
        except DeliveryFailed as failure:
            _failed(row, str(failure), settings, now)
        else:
            row.status, row.sent_at, row.attempts, row.last_error = SENT, now, row.attempts + 1, None
    return len(due)


def _failed(row: Notification, error: str, settings: OrderWatchSettings, now: datetime) -> None:
    row.attempts += 1
    row.last_error = error[:500]
    if row.attempts >= settings.notification_max_attempts:
        row.status = DEAD
        return
    delay = retry_delay(row.attempts, settings.notification_retry_seconds, settings.notification_retry_max_seconds)
    row.next_attempt_at = now + delay
