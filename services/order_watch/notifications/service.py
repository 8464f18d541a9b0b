"""Notification data access: unrouted notices, new deliveries, due deliveries; never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.notifications.models import PENDING, AlertNotice, Notification


async def claim_unrouted(session: AsyncSession, limit: int) -> list[AlertNotice]:
    query = (
        select(AlertNotice)
        .where(AlertNotice.routed_at.is_(None))
        .order_by(AlertNotice.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One pending delivery per (notice, channel); a second routing of the same notice adds nothing."""
    if rows:
        await session.execute(insert(Notification).values(rows).on_conflict_do_nothing())


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))


async def notices_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, AlertNotice]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {
        notice.id: notice for notice in await session.scalars(select(AlertNotice).where(AlertNotice.id.in_(wanted)))
    }
