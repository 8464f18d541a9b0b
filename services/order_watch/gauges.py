"""order_watch state as sampled Prometheus gauges: open alerts and tasks, escalations, notifications.

Read from PostgreSQL by the process that owns the state (`services.common.ops` runs them), so the
numbers hold across restarts and replicas and need no counter inside the flows.
"""

from __future__ import annotations

import itertools

from sqlalchemy import func, select, text

from services.common.db import Database
from services.common.metrics import ESCALATIONS, NOTICES_UNROUTED, NOTIFICATIONS, OPEN_ALERTS, OPEN_TASKS
from services.common.ops import GaugeTable, Sampler
from services.common.vocab import LIVE_TASK, Severity
from services.order_watch.alerts.models import UNRESOLVED, Alert
from services.order_watch.escalation.models import EscalationRecord
from services.order_watch.notifications.models import DEAD, PENDING, SENT, AlertNotice, Notification
from services.order_watch.reconcile.engine import RULES_BY_NAME
from services.order_watch.tasks.models import Task

NO_ALERT = "none"  # a task made without an alert (not expected, but counted rather than lost)
ESCALATION_LEVELS = ("1", "2")  # lead, executive_support


def open_work() -> Sampler:
    """Unresolved alerts and live reship tasks by rule and severity (every pair reported, 0 when none)."""
    pairs = list(itertools.product(RULES_BY_NAME, (severity.value for severity in Severity)))
    alerts, tasks = GaugeTable(OPEN_ALERTS, pairs), GaugeTable(OPEN_TASKS, pairs)

    async def open_work(db: Database) -> None:
        async with db.sessions() as session:
            alert_rows = await session.execute(
                select(Alert.rule, Alert.severity, func.count())
                .where(text(UNRESOLVED))
                .group_by(Alert.rule, Alert.severity)
            )
            task_rows = await session.execute(
                select(func.coalesce(Alert.rule, NO_ALERT), func.coalesce(Alert.severity, NO_ALERT), func.count())
                .select_from(Task)
                .outerjoin(Alert, Alert.alert_id == Task.alert_id)
                .where(Task.status.in_(LIVE_TASK))
                .group_by(Alert.rule, Alert.severity)
            )
            alerts.update({(rule, severity): count for rule, severity, count in alert_rows})
            tasks.update({(rule, severity): count for rule, severity, count in task_rows})

    return open_work


def escalations() -> Sampler:
    """Automatic escalations ever made, by the level they reached."""
    table = GaugeTable(ESCALATIONS, [(level,) for level in ESCALATION_LEVELS])

    async def escalations(db: Database) -> None:
        async with db.sessions() as session:
            rows = await session.execute(select(EscalationRecord.level, func.count()).group_by(EscalationRecord.level))
            table.update({(str(level),): count for level, count in rows})

    return escalations


def notifications(channels: list[str]) -> Sampler:
    """Notices waiting to be routed, and deliveries by channel and outcome (every configured channel reported)."""
    table = GaugeTable(NOTIFICATIONS, itertools.product(channels, (PENDING, SENT, DEAD)))

    async def notifications(db: Database) -> None:
        async with db.sessions() as session:
            rows = await session.execute(
                select(Notification.channel, Notification.status, func.count()).group_by(
                    Notification.channel, Notification.status
                )
            )
            table.update({(channel, status): count for channel, status, count in rows})
            NOTICES_UNROUTED.set(await session.scalar(select(func.count()).where(AlertNotice.routed_at.is_(None))) or 0)

    return notifications
