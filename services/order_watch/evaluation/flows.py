"""Evaluate orders: rules over fresh snapshots, then each order's case, its task and the next check time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import UNRESOLVED_CASE, TaskStatus
from services.order_watch.alerts.flows import cases_of, escalate, sync_case
from services.order_watch.evaluation.service import TrackingMemo, load_states, set_next_checks
from services.order_watch.learning.flows import learned_catalog
from services.order_watch.reconcile import evaluate, next_check_at, priority
from services.order_watch.tasks.flows import expire_overdue, live_tasks, sync_task


async def evaluate_orders(
    session: AsyncSession, order_ids: set[str], now: datetime, origin_tz: str, memo: TrackingMemo | None = None
) -> None:
    """Re-evaluate the given orders in the caller's transaction (`memo`: see `load_states`).

    Under each order's row lock: evaluations of one order take turns, and each reads what the one
    before it committed, so the last to commit never writes a case from an older snapshot."""
    if not order_ids:
        return
    catalog = await learned_catalog(session)
    states = await load_states(session, order_ids, origin_tz, memo, lock=True)
    cases = await cases_of(session, states)
    tasks = await live_tasks(session, list(states))
    next_checks: dict[str, datetime | None] = {}
    for order_id, state in states.items():
        findings = evaluate(state, now, catalog)
        priorities = {finding.key: priority(state, finding, now) for finding in findings}
        case = sync_case(session, order_id, findings, priorities, cases[order_id], now)
        open_case = case if case is not None and case.status in UNRESOLVED_CASE else None
        task = tasks.get(order_id)
        expired = expire_overdue(session, task, open_case, now)
        if expired is not None:
            task = None
            if open_case is not None:
                escalate(session, open_case, expired, now)
        task = sync_task(session, order_id, findings, task, open_case, now)
        task_due = task.act_by if task and task.status == TaskStatus.OPEN else None
        next_checks[order_id] = _earliest(next_check_at(state, now, catalog, findings), task_due)
    await session.flush()
    await set_next_checks(session, next_checks)


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present, default=None)
