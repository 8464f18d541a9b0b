"""Write and read audit entries in the caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.audit.models import AuditEntry
from services.order_watch.db import append_row


def record(
    session: AsyncSession,
    entity: str,
    entity_id: str,
    action: str,
    actor: str,
    at: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    order_id: str | None = None,
) -> None:
    """Append one change to the trail (written in bulk with the transaction's other appends)."""
    row = {"at": at, "actor": actor, "order_id": order_id, "entity": entity, "entity_id": entity_id}
    append_row(session, AuditEntry.__table__, {**row, "action": action, "before": before, "after": after})


async def trail_of_order(session: AsyncSession, order_id: str) -> list[AuditEntry]:
    """Every change to the order's alerts and tasks, oldest first."""
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.order_id == order_id).order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(rows)
