"""Notice an alert change — or a change of the reshipment task raised for it — for notification,
in the caller's transaction (called by alert and task flows).

A task change is noticed on its alert: routes match it by the alert's severity, rule and team,
and the message carries the alert as the staff API shows it, with the task under `task`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.schemas import AlertOut
from services.order_watch.db import append_row
from services.order_watch.notifications.models import AlertNotice
from services.order_watch.tasks.models import Task
from services.order_watch.tasks.schemas import TaskOut

# Changes of a case's state a person should hear about — one notice per state change, however many
# rules found the problem; a new finding or routine evidence on an open case, and notes, are not.
NOTIFIABLE = frozenset({"raised", "escalated", "reopened", "recovering", "resolved", "assigned"})


def alert_message(alert: Alert) -> dict[str, Any]:
    """The alert as notifications render and send it: as the staff API shows it (`AlertOut`), in JSON."""
    return AlertOut.model_validate(alert).model_dump(mode="json")


def dedupe_key(alert: Alert) -> str:
    """One notice per alert state: the same (alert, version, status) is never noticed twice."""
    return f"{alert.alert_id}:{alert.version}:{alert.status}"


def notice_alert_change(session: AsyncSession, alert: Alert, change: str, now: datetime) -> None:
    if change in NOTIFIABLE:
        _notice(session, alert, change, dedupe_key(alert), alert_message(alert), now)


def notice_task_change(session: AsyncSession, alert: Alert, task: Task, change: str, now: datetime) -> None:
    """Task flows call this for the changes someone must act on — "task_created" (a reship to make)
    and "task_expired" (nobody made it in time); claims, completions and cancellations are people's
    own doing. One notice per task state, like alerts."""
    message = {**alert_message(alert), "task": TaskOut.model_validate(task).model_dump(mode="json")}
    key = f"{alert.alert_id}:task:{task.task_id}:{task.version}:{task.status}"
    _notice(session, alert, change, key, message, now)


def _notice(session: AsyncSession, alert: Alert, change: str, key: str, message: dict[str, Any], now: datetime) -> None:
    row = {"dedupe_key": key, "alert_id": str(alert.alert_id), "order_id": alert.order_id, "change": change}
    append_row(session, AlertNotice.__table__, {**row, "alert": message, "created_at": now})
