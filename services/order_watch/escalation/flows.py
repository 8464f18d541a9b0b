"""Escalate alerts whose policy says so, in the caller's transaction.

Each due escalation is recorded once by key; the alert climbs a level only when the policy
asks for a higher level than it already has (a task expiry may have escalated it already).
Every alert looked at gets its next escalation worked out, so the next round looks only at
alerts that are due or changed — never at those the policy has nothing more for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import Severity
from services.order_watch.alerts.flows import escalate
from services.order_watch.alerts.models import Alert
from services.order_watch.escalation import service
from services.order_watch.escalation.models import EscalationRecord
from services.order_watch.escalation.policies import AlertClock, due_escalations, next_escalation_at


def alert_clock(alert: Alert) -> AlertClock:
    return AlertClock(alert.status, alert.opened_at, alert.owner, alert.act_by, alert.escalation_level)


async def escalate_due(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Make every due escalation; returns how many alerts climbed a level."""
    policies = await service.policies_in_force(session)
    alerts = await service.claim_candidates(session, now, limit)
    made = await service.made_escalations(session, (alert.alert_id for alert in alerts))
    climbed = 0
    for alert in alerts:
        policy = policies[Severity(alert.severity)]
        for due in due_escalations(alert_clock(alert), policy, now):
            if (alert.alert_id, due.key) in made:
                continue
            session.add(
                EscalationRecord(alert_id=alert.alert_id, key=due.key, level=due.level, reason=due.reason, at=now)
            )
            if alert.escalation_level < due.level:
                escalate(session, alert, due.reason, now)
                climbed += 1
        alert.next_escalation_at = next_escalation_at(alert_clock(alert), policy, now)
        alert.escalation_checked_version = alert.version
    return climbed
