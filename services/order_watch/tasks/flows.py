"""Reshipment tasks follow the findings: created when a recovery is needed and possible,
updated while open, cancelled by themselves when the original will arrive in time, expired
when their act-by passes undone (the caller escalates the case). Every change — by the system
here, or by a person through `change_task` — goes to the change recorder and the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import utc_iso
from services.common.contracts.envelope import Envelope
from services.common.contracts.tasks import TaskChange, TaskClosedEvent, TaskCreatedEvent, TaskUpdatedEvent
from services.common.db import any_of
from services.common.vocab import CLOSED_TASK, LIVE_TASK, TaskStatus
from services.order_watch.alerts.models import Alert
from services.order_watch.changes import SYSTEM, task_changed
from services.order_watch.db import publish
from services.order_watch.promise import RecoveryOption
from services.order_watch.reconcile.findings import Finding, needed_recovery
from services.order_watch.tasks.models import Task


async def live_tasks(session: AsyncSession, order_ids: list[str]) -> dict[str, Task]:
    rows = await session.scalars(select(Task).where(any_of(Task.order_id, order_ids), Task.status.in_(LIVE_TASK)))
    return {row.order_id: row for row in rows}


def sync_task(
    session: AsyncSession,
    order_id: str,
    findings: list[Finding],
    task: Task | None,
    case: Alert | None,
    now: datetime,
) -> Task | None:
    """Bring one order's reshipment task in line with its findings; returns the live task.

    The task belongs to the order's open case (`case`, None when there is none): its creation is
    noticed there."""
    source = needed_recovery(findings)
    if source is None:
        if task is not None and task.status == TaskStatus.OPEN:
            reason = "no recovery needed any more: the original is expected in time"
            _close(session, task, TaskStatus.CANCELLED, reason, now)
        return None if task is None or task.status != TaskStatus.CLAIMED else task
    recovery = source.recovery
    assert recovery is not None
    if task is None:
        return _create(session, order_id, source, recovery, case, now)
    if task.status == TaskStatus.OPEN:
        _update(session, task, source, recovery, now)
    return task


def expire_overdue(session: AsyncSession, task: Task | None, case: Alert | None, now: datetime) -> str | None:
    """Close an open task whose act-by passed undone (noticed on its case); returns why, for the
    case's escalation, or None when the task is not overdue."""
    if task is None or task.status != TaskStatus.OPEN or task.act_by > now:
        return None
    _close(session, task, TaskStatus.EXPIRED, "act-by passed with no reship", now, case)
    return f"reship task expired at {utc_iso(task.act_by)}"


def _recommendation(source: Finding, recovery: RecoveryOption) -> dict[str, Any]:
    return {
        "carrier": recovery.carrier,
        "service_code": recovery.service_code,
        "service_name": recovery.service_name,
        "service_level": recovery.service_level.value,
        "options": sorted(option.value for option in recovery.options),
        "expected_delivery": recovery.expected_delivery,
        "act_by": recovery.act_by,
        "reason": _reason(source, recovery)[:500],
        "evidence": {"rule": source.rule, "shipment_key": source.shipment_id or "", "recovery": recovery.as_evidence()},
    }


def _reason(source: Finding, recovery: RecoveryOption) -> str:
    options = " with Saturday delivery" if recovery.options else ""
    outcome = "meets the promise" if recovery.meets_promise else "cannot meet the promise but arrives earlier"
    return f"{source.summary} Reship {recovery.service_name}{options}: {outcome}."


def task_snapshot(task: Task) -> dict[str, Any]:
    """What a task looks like to a person, as JSON, for the audit trail."""
    return {
        "status": task.status,
        "owner": task.owner,
        "carrier": task.carrier,
        "service_name": task.service_name,
        "service_level": task.service_level,
        "options": list(task.options or []),
        "expected_delivery": utc_iso(task.expected_delivery) if task.expected_delivery else None,
        "act_by": utc_iso(task.act_by) if task.act_by else None,
        "reason": task.reason,
        "close_reason": task.close_reason,
        "new_tracking_number": task.new_tracking_number,
    }


def change_task(
    session: AsyncSession,
    task: Task,
    changes: dict[str, Any],
    action: str,
    now: datetime,
    actor: str = SYSTEM,
    case: Alert | None = None,
) -> bool:
    """Apply changes to a task; if anything changed, record and publish it. Returns whether it did."""
    if all(getattr(task, name) == value for name, value in changes.items()):
        return False
    before = task_snapshot(task)
    for name, value in changes.items():
        setattr(task, name, value)
    task.updated_at = now
    task.version += 1
    task_changed(session, task, action, now, actor, before, task_snapshot(task), case)
    _publish(session, TaskClosedEvent if task.status in CLOSED_TASK else TaskUpdatedEvent, task, now)
    return True


def _create(
    session: AsyncSession, order_id: str, source: Finding, recovery: RecoveryOption, case: Alert | None, now: datetime
) -> Task:
    task = Task(
        task_id=uuid.uuid4(),
        order_id=order_id,
        alert_id=case.alert_id if case is not None else None,
        status=TaskStatus.OPEN,
        created_at=now,
        updated_at=now,
        version=1,
        **_recommendation(source, recovery),
    )
    session.add(task)
    task_changed(session, task, "created", now, SYSTEM, None, task_snapshot(task), case)
    _publish(session, TaskCreatedEvent, task, now)
    return task


def _update(session: AsyncSession, task: Task, source: Finding, recovery: RecoveryOption, now: datetime) -> None:
    change_task(session, task, _recommendation(source, recovery), "updated", now)


def _close(
    session: AsyncSession, task: Task, status: str, reason: str, now: datetime, case: Alert | None = None
) -> None:
    changes = {"status": status, "close_reason": reason, "closed_at": now}
    change_task(session, task, changes, status, now, case=case)


def _publish(session: AsyncSession, event_class: type[Envelope[Any]], task: Task, now: datetime) -> None:
    change = TaskChange(
        task_id=task.task_id,
        order_id=task.order_id,
        alert_id=task.alert_id,
        status=task.status,
        recommended_carrier=task.carrier,
        recommended_service=task.service_name,
        recommended_service_level=task.service_level,
        recommended_options=task.options,
        expected_delivery=task.expected_delivery,
        act_by=task.act_by,
        reason=task.reason,
        owner=task.owner,
        version=task.version,
    )
    publish(session, event_class, change, now)
