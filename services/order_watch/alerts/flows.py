"""Keep alerts in step with findings: raise, update, reopen and resolve, with history and outbox.

One alert per (order, rule, shipment). A finding that is still there updates its alert only
when what a person would read changed; a finding that disappeared resolves its alert by itself.
An alert a person resolved stays resolved while its finding persists (they decided; they can
reopen it). Every change is written to the alert's history and the audit trail, published
through the outbox, and noticed for notification when a person should hear of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import utc_iso
from services.common.contracts.alerts import (
    AlertChange,
    AlertEscalatedEvent,
    AlertRaisedEvent,
    AlertResolvedEvent,
    AlertUpdatedEvent,
)
from services.common.contracts.envelope import Envelope
from services.common.db import any_of
from services.order_watch.alerts.models import Alert, AlertHistory
from services.order_watch.audit.service import record
from services.order_watch.db import append_row, publish
from services.order_watch.notifications.notices import notice_alert_change
from services.order_watch.reconcile.findings import Finding

SYSTEM = "system"
CONDITION_CLEARED = "condition_cleared"
OPEN_STATUSES = ("open", "acknowledged")
ESCALATION_REASON = "escalation_reason"


def snapshot(alert: Alert) -> dict[str, Any]:
    """What an alert looks like to a person, as JSON, for history and change detection."""
    return {
        "status": alert.status,
        "severity": alert.severity,
        "priority": alert.priority,
        "summary": alert.summary,
        "evidence": alert.evidence,
        "act_by": utc_iso(alert.act_by) if alert.act_by else None,
        "escalation_level": alert.escalation_level,
        "owner": alert.owner,
        "resolution": alert.resolution,
    }


AlertKey = tuple[str, str, str]


async def alerts_of(session: AsyncSession, order_ids: Iterable[str]) -> dict[str, dict[AlertKey, Alert]]:
    """Every alert of the given orders, grouped by order, each keyed (order, rule, shipment)."""
    wanted = list(order_ids)
    grouped: dict[str, dict[AlertKey, Alert]] = {order_id: {} for order_id in wanted}
    for row in await session.scalars(select(Alert).where(any_of(Alert.order_id, wanted))):
        grouped[row.order_id][(row.order_id, row.rule, row.shipment_key)] = row
    return grouped


def alert_key(finding: Finding) -> AlertKey:
    return (finding.order_id, finding.rule, finding.shipment_id or "")


def sync_alerts(
    session: AsyncSession,
    findings: list[Finding],
    priorities: dict[AlertKey, int],
    order_alerts: dict[AlertKey, Alert],
    now: datetime,
) -> None:
    """Apply one order's findings to that order's alerts (`order_alerts` gains any it raises)."""
    live: set[AlertKey] = set()
    for finding in findings:
        key = alert_key(finding)
        alert = order_alerts.get(key)
        values = {
            "severity": finding.severity.value,
            "priority": priorities[key],
            "summary": finding.summary[:500],
            "evidence": finding.evidence if alert is None else kept_evidence(alert.evidence, finding.evidence),
            "act_by": finding.act_by,
        }
        if alert is None:
            order_alerts[key] = _raise(session, finding, values, now)
        elif alert.status == "resolved" and alert.resolution != CONDITION_CLEARED:
            pass  # resolved by a person: their decision stands until they reopen it
        elif alert.status == "resolved":
            change_alert(
                session, alert, {**values, "status": "open", "resolved_at": None, "resolution": None}, "reopened", now
            )
        else:
            change_alert(session, alert, values, "updated", now)
        live.add(key)
    for key, alert in order_alerts.items():
        if key not in live and alert.status in OPEN_STATUSES:
            changes = {"status": "resolved", "resolved_at": now, "resolution": CONDITION_CLEARED}
            change_alert(session, alert, changes, "resolved", now)


def kept_evidence(known: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """The evidence just found, keeping what the alert already knew of it.

    A fact whose value and source are unchanged keeps its first as-of (a projection re-made at
    every check is still the one made then; its as-of moving is not a change to tell anyone of),
    and an escalation's reason stays until the next escalation replaces it.
    """
    kept = {name: known[name] if _same_fact(known.get(name), item) else item for name, item in found.items()}
    if ESCALATION_REASON in known:
        kept[ESCALATION_REASON] = known[ESCALATION_REASON]
    return kept


def _same_fact(known: Any, found: Any) -> bool:
    if not (isinstance(known, dict) and isinstance(found, dict) and "as_of" in found):
        return known == found
    return {**known, "as_of": None} == {**found, "as_of": None}


def escalate(session: AsyncSession, alert: Alert, reason: str, now: datetime, actor: str = SYSTEM) -> None:
    """Raise an alert one escalation level (an expired task, an unowned act-by coming close)."""
    evidence = {**alert.evidence, ESCALATION_REASON: reason}
    change_alert(
        session, alert, {"escalation_level": alert.escalation_level + 1, "evidence": evidence}, "escalated", now, actor
    )


def _raise(session: AsyncSession, finding: Finding, values: dict[str, Any], now: datetime) -> Alert:
    alert = Alert(
        alert_id=uuid.uuid4(),
        order_id=finding.order_id,
        rule=finding.rule,
        shipment_key=finding.shipment_id or "",
        status="open",
        escalation_level=0,
        opened_at=now,
        updated_at=now,
        version=1,
        **values,
    )
    session.add(alert)
    _remember(session, alert, "raised", now, SYSTEM, None, snapshot(alert))
    _publish(session, AlertRaisedEvent, alert, now)
    return alert


def change_alert(
    session: AsyncSession, alert: Alert, changes: dict[str, Any], change: str, now: datetime, actor: str = SYSTEM
) -> bool:
    """Apply changes to an alert; if a person would see a difference, record, publish and notice it."""
    before = snapshot(alert)
    for name, value in changes.items():
        setattr(alert, name, value)
    after = snapshot(alert)
    if after == before:
        return False
    alert.updated_at = now
    alert.version += 1
    _remember(session, alert, change, now, actor, before, after)
    event_class = {"resolved": AlertResolvedEvent, "escalated": AlertEscalatedEvent}.get(change, AlertUpdatedEvent)
    _publish(session, event_class, alert, now)
    return True


def _remember(
    session: AsyncSession,
    alert: Alert,
    change: str,
    now: datetime,
    actor: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """History, audit trail and notification notice of one change, in the caller's transaction."""
    history = {"alert_id": alert.alert_id, "at": now, "actor": actor, "change": change}
    append_row(session, AlertHistory.__table__, {**history, "before": before, "after": after})
    record(session, "alert", str(alert.alert_id), change, actor, now, before, after, order_id=alert.order_id)
    notice_alert_change(session, alert, change, now)


def _publish(session: AsyncSession, event_class: type[Envelope[Any]], alert: Alert, now: datetime) -> None:
    change = AlertChange(
        alert_id=alert.alert_id,
        order_id=alert.order_id,
        shipment_id=alert.shipment_key or None,
        rule=alert.rule,
        status=alert.status,
        severity=alert.severity,
        priority=alert.priority,
        summary=alert.summary,
        act_by=alert.act_by,
        escalation_level=alert.escalation_level,
        owner=alert.owner,
        evidence=alert.evidence,
        version=alert.version,
    )
    publish(session, event_class, change, now)
