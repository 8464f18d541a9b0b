"""What a person (or the warehouse system) does to a reshipment task: claim, complete, cancel.

Completing records the new tracking number and applies the reship label exactly as a
`shipment.label_created` event would be applied (idempotent, keyed by the task), then
re-evaluates the order — so the reship is watched like any other parcel.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.contracts.envelope import new_envelope
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.vocab import TASK_ACTIONS, ServiceLevel, ServiceOption, TaskStatus
from services.order_watch.alerts.actions import check_transition
from services.order_watch.auth.tokens import Actor
from services.order_watch.db import PRODUCER
from services.order_watch.evaluation.flows import evaluate_orders
from services.order_watch.orders.flows import apply_events
from services.order_watch.tasks.flows import change_task
from services.order_watch.tasks.models import Task
from services.order_watch.tasks.schemas import CompleteIn

RESHIP_EVENTS = uuid.UUID("5d0c8f52-6f1e-4a59-8d0e-6c3e1b7a0f11")  # namespace of reship label event ids


def claim(session: AsyncSession, task: Task, actor: Actor, now: datetime) -> None:
    check_transition("task", "claim", task.status, TASK_ACTIONS["claim"])
    change_task(session, task, {"status": TaskStatus.CLAIMED, "owner": actor.name}, "claimed", now, actor.name)


def cancel(session: AsyncSession, task: Task, reason: str, actor: Actor, now: datetime) -> None:
    check_transition("task", "cancel", task.status, TASK_ACTIONS["cancel"])
    changes = {"status": TaskStatus.CANCELLED, "close_reason": reason, "closed_at": now}
    change_task(session, task, changes, "cancelled", now, actor.name)


def reship_label(task: Task, done: CompleteIn, now: datetime) -> ShipmentLabelCreatedEvent:
    """The label event the warehouse would have sent for the reship."""
    carrier = (done.carrier or task.carrier).lower()
    code = done.service_code or task.service_code
    same_service = carrier == task.carrier and code == task.service_code
    label = ShipmentLabelCreated(
        order_id=task.order_id,
        shipment_id=f"{task.order_id}-reship-{task.task_id.hex[:8]}",
        carrier=carrier,
        tracking_number=done.tracking_number,
        label_service_code=code,
        label_service_level=ServiceLevel(task.service_level) if same_service else None,
        label_options=[ServiceOption(option) for option in task.options] if same_service else [],
        label_created_at=now,
        is_reship=True,
    )
    event_id = uuid.uuid5(RESHIP_EVENTS, f"{task.task_id}:{done.tracking_number}")
    return new_envelope(
        ShipmentLabelCreatedEvent, label, occurred_at=now, produced_at=now, producer=PRODUCER, event_id=event_id
    )


async def complete(
    session: AsyncSession, task: Task, done: CompleteIn, actor: Actor, now: datetime, origin_tz: str
) -> None:
    """Close the task with the reship's tracking number, and start watching the reship."""
    check_transition("task", "complete", task.status, TASK_ACTIONS["complete"])
    changes = {
        "status": TaskStatus.COMPLETED,
        "owner": task.owner or actor.name,
        "new_tracking_number": done.tracking_number,
        "close_reason": f"reshipped as {(done.carrier or task.carrier).lower()} {done.tracking_number}",
        "closed_at": now,
    }
    change_task(session, task, changes, "completed", now, actor.name)
    await session.flush()
    touched = await apply_events(session, [reship_label(task, done, now)], now)
    await evaluate_orders(session, touched, now, origin_tz)
