"""The two boards' filters and rows: what a board shows, asked of the alert and task services.

A board is its filters (from the page's query string). It lists its rows through the same
queries as the staff API, and tells whether one changed row belongs on it, so the live stream
inserts, updates or removes exactly what a reload would show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import Severity
from services.order_watch.alerts import service as alerts
from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.teams import TEAM_BY_RULE
from services.order_watch.tasks import service as tasks
from services.order_watch.tasks.models import Task

DUE_WITHIN = {"1h": dt.timedelta(hours=1), "4h": dt.timedelta(hours=4), "24h": dt.timedelta(hours=24)}
DUE_CHOICES = {"": "any time", "overdue": "overdue", **{key: f"within {key}" for key in DUE_WITHIN}}
SEVERITIES = tuple(sorted((level.value for level in Severity), key=lambda value: Severity(value).urgency))
TEAMS = tuple(sorted(set(TEAM_BY_RULE.values())))
ROW_LIMIT = 200


def _choice(value: str | None, allowed: Mapping[str, Any] | tuple[str, ...], default: str = "") -> str:
    return value if value is not None and value in allowed else default


def _text(value: str | None) -> str:
    return (value or "").strip()[:100]


@dataclass(frozen=True)
class Board:
    """Filters common to both boards; `status` names a group of statuses."""

    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {}
    DEFAULT_STATUS: ClassVar[str] = ""
    ENTITY: ClassVar[str] = ""
    ROW_TEMPLATE: ClassVar[str] = ""
    PATH: ClassVar[str] = ""

    status: str = ""
    owner: str = ""
    due: str = ""
    order_id: str = ""

    @property
    def statuses(self) -> tuple[str, ...]:
        return self.STATUSES[self.status]

    def due_before(self, now: dt.datetime) -> dt.datetime | None:
        if self.due == "overdue":
            return now
        return now + DUE_WITHIN[self.due] if self.due in DUE_WITHIN else None

    def query(self) -> str:
        """The filters as a query string (defaults left out)."""
        chosen = {name: value for name, value in asdict(self).items() if value}
        if chosen.get("status") == self.DEFAULT_STATUS:
            chosen.pop("status")
        return urlencode(chosen)

    def url(self) -> str:
        query = self.query()
        return f"{self.PATH}?{query}" if query else self.PATH

    def dom_id(self, row: Any) -> str:
        return f"{self.ENTITY}-{self.key(row)}"

    @staticmethod
    def key(row: Any) -> uuid.UUID:
        raise NotImplementedError

    @staticmethod
    def headline(row: Any) -> str:
        """One line a screen reader announces when the row arrives."""
        raise NotImplementedError

    async def rows(self, session: AsyncSession, now: dt.datetime) -> list[Any]:
        raise NotImplementedError

    async def load(self, session: AsyncSession, keys: list[str]) -> list[Any]:
        raise NotImplementedError

    async def shows(self, session: AsyncSession, row: Any, now: dt.datetime) -> bool:
        raise NotImplementedError


def _urgency(alert: Alert) -> tuple[int, bool, dt.datetime, dt.datetime]:
    """The alert service's order (priority, act-by, opened), to merge its per-status lists."""
    return (alert.priority, alert.act_by is None, alert.act_by or alert.opened_at, alert.opened_at)


@dataclass(frozen=True)
class AlertBoard(Board):
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "unresolved": ("open", "acknowledged"),
        "open": ("open",),
        "acknowledged": ("acknowledged",),
        "resolved": ("resolved",),
        "any": ("open", "acknowledged", "resolved"),
    }
    DEFAULT_STATUS: ClassVar[str] = "unresolved"
    ENTITY: ClassVar[str] = "alert"
    ROW_TEMPLATE: ClassVar[str] = "alert_row.html"
    PATH: ClassVar[str] = "/ui/alerts"

    severity: str = ""
    rule: str = ""
    team: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> AlertBoard:
        return cls(
            status=_choice(params.get("status"), cls.STATUSES, cls.DEFAULT_STATUS),
            owner=_text(params.get("owner")),
            due=_choice(params.get("due"), DUE_CHOICES),
            order_id=_text(params.get("order_id")),
            severity=_choice(params.get("severity"), SEVERITIES),
            rule=_choice(params.get("rule"), TEAM_BY_RULE),
            team=_choice(params.get("team"), TEAMS),
        )

    def filters(self, status: str, now: dt.datetime, order_id: str | None = None) -> alerts.AlertFilters:
        return alerts.AlertFilters(
            status=status,
            severity=self.severity or None,
            rule=self.rule or None,
            owner=self.owner or None,
            team=self.team or None,
            due_before=self.due_before(now),
            order_id=order_id or self.order_id or None,
            limit=ROW_LIMIT,
        )

    @staticmethod
    def key(row: Alert) -> uuid.UUID:
        return row.alert_id

    @staticmethod
    def headline(row: Alert) -> str:
        return f"{row.severity} alert on order {row.order_id}: {row.summary}"

    async def rows(self, session: AsyncSession, now: dt.datetime) -> list[Alert]:
        found = [a for status in self.statuses for a in await alerts.list_alerts(session, self.filters(status, now))]
        return sorted(found, key=_urgency)[:ROW_LIMIT]

    async def load(self, session: AsyncSession, keys: list[str]) -> list[Alert]:
        return list(await session.scalars(select(Alert).where(Alert.alert_id.in_([uuid.UUID(k) for k in keys]))))

    async def shows(self, session: AsyncSession, row: Alert, now: dt.datetime) -> bool:
        if row.status not in self.statuses or (self.order_id and self.order_id != row.order_id):
            return False
        same_order = await alerts.list_alerts(session, self.filters(row.status, now, row.order_id))
        return any(alert.alert_id == row.alert_id for alert in same_order)


@dataclass(frozen=True)
class TaskBoard(Board):
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "live": ("open", "claimed"),
        "open": ("open",),
        "claimed": ("claimed",),
        "completed": ("completed",),
        "cancelled": ("cancelled",),
        "expired": ("expired",),
        "any": ("open", "claimed", "completed", "cancelled", "expired"),
    }
    DEFAULT_STATUS: ClassVar[str] = "live"
    ENTITY: ClassVar[str] = "task"
    ROW_TEMPLATE: ClassVar[str] = "task_row.html"
    PATH: ClassVar[str] = "/ui/tasks"

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> TaskBoard:
        return cls(
            status=_choice(params.get("status"), cls.STATUSES, cls.DEFAULT_STATUS),
            owner=_text(params.get("owner")),
            due=_choice(params.get("due"), DUE_CHOICES),
            order_id=_text(params.get("order_id")),
        )

    def filters(self, status: str, now: dt.datetime, order_id: str | None = None) -> tasks.TaskFilters:
        return tasks.TaskFilters(
            status=status,
            owner=self.owner or None,
            order_id=order_id or self.order_id or None,
            due_before=self.due_before(now),
            limit=ROW_LIMIT,
        )

    @staticmethod
    def key(row: Task) -> uuid.UUID:
        return row.task_id

    @staticmethod
    def headline(row: Task) -> str:
        return f"Reship task for order {row.order_id}: {row.service_name}"

    async def rows(self, session: AsyncSession, now: dt.datetime) -> list[Task]:
        found = [t for status in self.statuses for t in await tasks.list_tasks(session, self.filters(status, now))]
        return sorted(found, key=lambda task: (task.act_by, task.created_at))[:ROW_LIMIT]

    async def load(self, session: AsyncSession, keys: list[str]) -> list[Task]:
        return list(await session.scalars(select(Task).where(Task.task_id.in_([uuid.UUID(k) for k in keys]))))

    async def shows(self, session: AsyncSession, row: Task, now: dt.datetime) -> bool:
        if row.status not in self.statuses or (self.order_id and self.order_id != row.order_id):
            return False
        same_order = await tasks.list_tasks(session, self.filters(row.status, now, row.order_id))
        return any(task.task_id == row.task_id for task in same_order)


BOARDS: dict[str, type[AlertBoard] | type[TaskBoard]] = {"alerts": AlertBoard, "tasks": TaskBoard}
