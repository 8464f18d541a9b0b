"""Rule threshold data access: the policy in force, and an admin's change (audited); never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import Severity
from services.order_watch.audit.service import record
from services.order_watch.learning.policy import DEFAULT_POLICY, RulePolicy
from services.order_watch.thresholds.models import RuleThresholdRow


async def policy_in_force(session: AsyncSession) -> RulePolicy:
    """The default thresholds, overridden by any an admin stored."""
    policy = DEFAULT_POLICY
    for row in await session.scalars(select(RuleThresholdRow)):
        policy = policy.with_threshold(row.rule, Severity(row.severity), row.value)
    return policy


async def store_threshold(
    session: AsyncSession, rule: str, severity: Severity, value: float, actor: str, now: datetime
) -> None:
    """Set one threshold, audited with the value in force before it (the row is locked: two admins at
    once are recorded one after the other)."""
    default = DEFAULT_POLICY.thresholds[(rule, severity)]
    await session.execute(
        insert(RuleThresholdRow)
        .values(rule=rule, severity=severity.value, value=default, updated_at=now, updated_by=actor)
        .on_conflict_do_nothing()
    )
    locked = (
        select(RuleThresholdRow)
        .where(RuleThresholdRow.rule == rule, RuleThresholdRow.severity == severity.value)
        .with_for_update()
    )
    row = (await session.scalars(locked.execution_options(populate_existing=True))).one()
    before = {"value": row.value}
    row.value, row.updated_at, row.updated_by = value, now, actor
    record(session, "rule_threshold", f"{rule}/{severity.value}", "changed", actor, now, before, {"value": value})
