"""Alert queries for the staff API: filtered lists, one alert (locked to change it), its history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.common.db import NotFound
from services.common.vocab import Severity
from services.order_watch.alerts.models import SEVERITY_RANK_SQL, Alert, AlertHistory
from services.order_watch.audit.models import AuditEntry
from services.order_watch.cursors import FAR_FUTURE, last_if_null, page
from services.order_watch.reconcile.engine import rules_of

NOTED = "noted"


@dataclass(frozen=True)
class AlertFilters:
    """Which alerts to list; None matches anything."""

    statuses: tuple[str, ...] | None = None
    severity: str | None = None
    rule: str | None = None
    owner: str | None = None
    team: str | None = None
    due_before: datetime | None = None
    order_id: str | None = None
    ids: tuple[uuid.UUID, ...] | None = None
    limit: int = 100
    after: tuple[Any, ...] | None = None  # the sort key of the last row already shown (`cursor_of`)


def _filtered(query: Select[Any], filters: AlertFilters) -> Select[Any]:
    equal = {"severity": filters.severity, "rule": filters.rule, "owner": filters.owner, "order_id": filters.order_id}
    for name, value in equal.items():
        if value is not None:
            query = query.where(getattr(Alert, name) == value)
    if filters.statuses is not None:
        query = query.where(Alert.status.in_(filters.statuses))
    if filters.ids is not None:
        query = query.where(Alert.alert_id.in_(filters.ids))
    if filters.team is not None:
        query = query.where(Alert.rule.in_(rules_of(filters.team)))
    if filters.due_before is not None:
        query = query.where(Alert.act_by < filters.due_before)
    return query


# The board's order: a case nobody owns before an owned one, then the last chance (none last),
# severity and priority, then the oldest; the id makes the order total. PRODUCT.md: "exactly one
# owner" — an unowned critical case must never hide below owned, acknowledged ones.
OWNED = Alert.owner.is_not(None)
SEVERITY_RANK = literal_column(f"({SEVERITY_RANK_SQL})")
SORT_KEY = (OWNED, last_if_null(Alert.act_by), SEVERITY_RANK, Alert.priority, Alert.opened_at, Alert.alert_id)
SORT_KINDS = (bool, datetime, int, int, datetime, uuid.UUID)


def cursor_of(alert: Any) -> tuple[Any, ...]:
    """An alert's place in the list order (what `AlertFilters.after` takes)."""
    rank = Severity(alert.severity).urgency
    return (alert.owner is not None, alert.act_by or FAR_FUTURE, rank, alert.priority, alert.opened_at, alert.alert_id)


async def list_alerts(connection: AsyncSession | AsyncConnection, filters: AlertFilters) -> list[Any]:
    """Matching alerts, most urgent first, the page after `filters.after`: plain rows with the
    alert's attributes (a list is only read, so no ORM object is built or tracked for it). The
    staff API asks on a `db.one_statement` connection; a board, in the transaction of its page."""
    query = page(_filtered(select(Alert.__table__), filters), SORT_KEY, filters.after, filters.limit)
    return list((await connection.execute(query)).all())


async def get_alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
    return await session.get(Alert, alert_id)


async def locked_alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert:
    """The alert, locked for a change until the transaction ends; `NotFound` when there is none."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"no case {str(alert_id)!r}")
    return alert


async def history_of(session: AsyncSession, alert_id: uuid.UUID) -> list[AlertHistory]:
    rows = await session.scalars(
        select(AlertHistory).where(AlertHistory.alert_id == alert_id).order_by(AlertHistory.at, AlertHistory.id)
    )
    return list(rows)


async def notes_of(session: AsyncSession, alert_id: uuid.UUID) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "alert", AuditEntry.entity_id == str(alert_id), AuditEntry.action == NOTED)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(rows)
