"""The two boards' filters and rows: what a board shows, asked of the alert and task services.

A board is its filters (from the page's query string). It lists its rows through the same
query as the staff API, and tells which changed rows belong on it through that query too
(narrowed to their ids), so the live stream inserts, updates or removes exactly what a reload
would show — one query per page, two per batch of changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import CLOSED_TASK, LIVE_TASK, UNRESOLVED_CASE, CaseStatus, Severity
from services.order_watch.alerts import service as alerts
from services.order_watch.reconcile.engine import RULES_BY_NAME
from services.order_watch.reconcile.engine import TEAMS as RULE_TEAMS
from services.order_watch.tasks import service as tasks

DUE_WITHIN = {"1h": dt.timedelta(hours=1), "4h": dt.timedelta(hours=4), "24h": dt.timedelta(hours=24)}
DUE_CHOICES = {"": "any time", "overdue": "overdue", **{key: f"within {key}" for key in DUE_WITHIN}}
SEVERITIES = tuple(sorted((level.value for level in Severity), key=lambda value: Severity(value).urgency))
TEAMS = tuple(sorted(RULE_TEAMS))
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

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Self:
        return cls(
            status=_choice(params.get("status"), cls.STATUSES, cls.DEFAULT_STATUS),
            owner=_text(params.get("owner")),
            due=_choice(params.get("due"), DUE_CHOICES),
            order_id=_text(params.get("order_id")),
            **cls.own_filters(params),
        )

    @classmethod
    def own_filters(cls, params: Mapping[str, str]) -> dict[str, str]:
        """The filters only this board has, from the query string."""
        return {}

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

    async def rows(self, session: AsyncSession, now: dt.datetime) -> list[Any]:
        """The board as a reload shows it, most urgent first."""
        return await self.search(session, self.filters(now))

    async def changed(self, session: AsyncSession, keys: list[str], now: dt.datetime) -> dict[str, tuple[Any, bool]]:
        """The rows of these keys, each with whether it belongs on the board now (by key)."""
        ids = tuple(uuid.UUID(key) for key in keys)
        board = self.filters(now)
        rows = await self.search(session, type(board)(ids=ids, limit=len(ids)))
        shown = await self.search(session, dataclasses.replace(board, ids=ids, limit=len(ids)))
        on_board = {self.key(row) for row in shown}
        return {str(self.key(row)): (row, self.key(row) in on_board) for row in rows}

    def filters(self, now: dt.datetime) -> Any:
        """The service's filters for this board (they have `ids` and `limit`)."""
        raise NotImplementedError

    @staticmethod
    async def search(session: AsyncSession, filters: Any) -> list[Any]:
        """The service's list query."""
        raise NotImplementedError

    @staticmethod
    def key(row: Any) -> uuid.UUID:
        raise NotImplementedError

    @staticmethod
    def headline(row: Any) -> str:
        """One line a screen reader announces when the row arrives."""
        raise NotImplementedError


@dataclass(frozen=True)
class AlertBoard(Board):
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "unresolved": UNRESOLVED_CASE,
        **{status: (status,) for status in UNRESOLVED_CASE},
        CaseStatus.RESOLVED.value: (CaseStatus.RESOLVED,),
        "any": tuple(CaseStatus),
    }
    DEFAULT_STATUS: ClassVar[str] = "unresolved"
    ENTITY: ClassVar[str] = "alert"
    ROW_TEMPLATE: ClassVar[str] = "alert_row.html"
    PATH: ClassVar[str] = "/ui/cases"

    severity: str = ""
    rule: str = ""
    team: str = ""

    @classmethod
    def own_filters(cls, params: Mapping[str, str]) -> dict[str, str]:
        return {
            "severity": _choice(params.get("severity"), SEVERITIES),
            "rule": _choice(params.get("rule"), RULES_BY_NAME),
            "team": _choice(params.get("team"), TEAMS),
        }

    def filters(self, now: dt.datetime) -> alerts.AlertFilters:
        return alerts.AlertFilters(
            statuses=self.statuses,
            severity=self.severity or None,
            rule=self.rule or None,
            owner=self.owner or None,
            team=self.team or None,
            due_before=self.due_before(now),
            order_id=self.order_id or None,
            limit=ROW_LIMIT,
        )

    @staticmethod
    async def search(session: AsyncSession, filters: alerts.AlertFilters) -> list[Any]:
        """Rows of the alerts list: the alert's columns by name, not ORM objects (read-only)."""
        return await alerts.list_alerts(session, filters)

    @staticmethod
    def key(row: Any) -> uuid.UUID:
        return row.alert_id

    @staticmethod
    def headline(row: Any) -> str:
        return f"{row.severity} alert on order {row.order_id}: {row.summary}"


@dataclass(frozen=True)
class TaskBoard(Board):
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "live": LIVE_TASK,
        **{status: (status,) for status in (*LIVE_TASK, *CLOSED_TASK)},
        "any": (*LIVE_TASK, *CLOSED_TASK),
    }
    DEFAULT_STATUS: ClassVar[str] = "live"
    ENTITY: ClassVar[str] = "task"
    ROW_TEMPLATE: ClassVar[str] = "task_row.html"
    PATH: ClassVar[str] = "/ui/tasks"

    def filters(self, now: dt.datetime) -> tasks.TaskFilters:
        return tasks.TaskFilters(
            statuses=self.statuses,
            owner=self.owner or None,
            order_id=self.order_id or None,
            due_before=self.due_before(now),
            limit=ROW_LIMIT,
        )

    @staticmethod
    async def search(session: AsyncSession, filters: tasks.TaskFilters) -> list[Any]:
        """Rows of the tasks list: the task's columns by name, not ORM objects (read-only)."""
        return await tasks.list_tasks(session, filters)

    @staticmethod
    def key(row: Any) -> uuid.UUID:
        return row.task_id

    @staticmethod
    def headline(row: Any) -> str:
        return f"Reship task for order {row.order_id}: {row.service_name}"


BOARDS: dict[str, type[Board]] = {"alerts": AlertBoard, "tasks": TaskBoard}
