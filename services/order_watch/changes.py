"""The change recorder: every change to a case or a task, by the system or a person, is written
here — the audit trail, the case's history and, when someone should hear of it, a notification
notice — in the caller's transaction (nothing is lost or told twice: the notice commits with the
change it tells of). Cases, tasks and notifications meet here instead of importing each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.alerts.models import Alert, AlertHistory
from services.order_watch.audit.service import record
from services.order_watch.db import append_row
from services.order_watch.notifications.notices import notice_alert_change, notice_task_change
from services.order_watch.tasks.models import Task

SYSTEM = "system"  # the actor of the system's own changes
# Task changes someone must act on — a reship to make, one nobody made in time; claims,
# completions and cancellations are people's own doing.
TASK_NOTICES = {"created": "task_created", "expired": "task_expired"}


def case_changed(
    session: AsyncSession,
    case: Alert,
    change: str,
    now: datetime,
    actor: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """History, audit trail and notification notice of one change of a case."""
    history = {"alert_id": case.alert_id, "at": now, "actor": actor, "change": change}
    append_row(session, AlertHistory.__table__, {**history, "before": before, "after": after})
    record(session, "alert", str(case.alert_id), change, actor, now, before, after, order_id=case.order_id)
    notice_alert_change(session, case, change, now)


def task_changed(
    session: AsyncSession,
    task: Task,
    change: str,
    now: datetime,
    actor: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    case: Alert | None = None,
) -> None:
    """Audit trail of one change of a task, and its notice on the task's case when it asks for action."""
    record(session, "task", str(task.task_id), change, actor, now, before, after, order_id=task.order_id)
    if case is not None and change in TASK_NOTICES:
        notice_task_change(session, case, task, TASK_NOTICES[change], now)
