"""Escalation data access: policies in force, alerts to check, escalations already made; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import UNRESOLVED_CASE, Severity
from services.order_watch.alerts.models import Alert
from services.order_watch.audit.service import record
from services.order_watch.escalation.models import EscalationPolicyRow, EscalationRecord
from services.order_watch.escalation.policies import DEFAULT_POLICIES, EscalationPolicy


async def policies_in_force(session: AsyncSession) -> dict[Severity, EscalationPolicy]:
    """The default policies, overridden by any stored by an admin."""
    stored = await session.scalars(select(EscalationPolicyRow))
    return {**DEFAULT_POLICIES, **{Severity(row.severity): EscalationPolicy(**row.policy) for row in stored}}


async def store_policy(session: AsyncSession, policy: EscalationPolicy, actor: str, now: datetime) -> None:
    """Replace the policy of one severity, audited with the one in force before; the row is locked, so two
    admins changing it at once are recorded one after the other."""
    severity, wanted = policy.severity.value, policy.model_dump(mode="json")
    # The first change has no row to lock yet: store the default in force, then lock whichever row is there.
    default = DEFAULT_POLICIES[policy.severity].model_dump(mode="json")
    await session.execute(
        insert(EscalationPolicyRow)
        .values(severity=severity, policy=default, updated_at=now, updated_by=actor)
        .on_conflict_do_nothing()
    )
    locked = select(EscalationPolicyRow).where(EscalationPolicyRow.severity == severity).with_for_update()
    row = (await session.scalars(locked.execution_options(populate_existing=True))).one()
    before = row.policy
    row.policy, row.updated_at, row.updated_by = wanted, now, actor
    record(session, "escalation_policy", severity, "changed", actor, now, before, wanted)
    await _recheck(session, policy.severity)


async def _recheck(session: AsyncSession, severity: Severity) -> None:
    """A new policy moves the next escalation of every unresolved alert of its severity: work them out again."""
    await session.execute(
        update(Alert)
        .where(Alert.severity == severity.value, Alert.status.in_(UNRESOLVED_CASE))
        .values(escalation_checked_version=None)
    )


async def claim_candidates(session: AsyncSession, now: datetime, limit: int) -> list[Alert]:
    """Unresolved alerts the policy may escalate now: due by their next escalation, or changed since it was
    worked out; locked, skipping rows another scheduler replica holds. An alert at the top of its policy
    is not among them until it changes."""
    query = (
        select(Alert)
        .where(
            Alert.status.in_(UNRESOLVED_CASE),
            or_(Alert.next_escalation_at <= now, Alert.escalation_checked_version.is_distinct_from(Alert.version)),
        )
        .order_by(Alert.opened_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))


async def made_escalations(session: AsyncSession, alert_ids: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, str]]:
    ids = list(alert_ids)
    if not ids:
        return set()
    rows = await session.execute(
        select(EscalationRecord.alert_id, EscalationRecord.key).where(EscalationRecord.alert_id.in_(ids))
    )
    return {(alert_id, key) for alert_id, key in rows}
