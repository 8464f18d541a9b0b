"""Keep each order's case (its alert) in step with its findings: raise, update, reopen and
resolve, with history and outbox.

One unresolved alert per order: the case for its problem. Its findings are every rule that fires
for the order (one per `FindingKey`); the worst leads the row. A new finding on an open case
updates it; the case resolves by itself when its last finding clears. While a reship on course
is the only finding (`recovering`, informational) the case is "recovering" and asks no one to
act; should the reship go wrong, it opens again. A case a person resolved stays resolved while
the findings they saw persist (they decided; they can reopen it); a finding they did not see
reopens it. Every change is written to the case's history and the audit trail, published
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
    FindingLine,
)
from services.common.contracts.envelope import Envelope
from services.common.db import any_of
from services.common.vocab import UNRESOLVED_CASE, CaseStatus, Severity
from services.order_watch.alerts.models import Alert
from services.order_watch.changes import SYSTEM, case_changed
from services.order_watch.cursors import FAR_FUTURE
from services.order_watch.db import publish
from services.order_watch.reconcile.engine import RULES
from services.order_watch.reconcile.findings import Finding, FindingKey, jsonable, needed_recovery

CONDITION_CLEARED = "condition_cleared"
ESCALATION_REASON = "escalation_reason"
_RULE_ORDER = {rule.name: index for index, rule in enumerate(RULES)}


def snapshot(alert: Alert) -> dict[str, Any]:
    """What a case looks like to a person, as JSON, for history and change detection."""
    return {
        "status": alert.status,
        "severity": alert.severity,
        "priority": alert.priority,
        "summary": alert.summary,
        "evidence": alert.evidence,
        "act_by": utc_iso(alert.act_by) if alert.act_by else None,
        "cheapest_act_by": utc_iso(alert.cheapest_act_by) if alert.cheapest_act_by else None,
        "findings": [_finding_line(row) for row in alert.findings or []],
        "escalation_level": alert.escalation_level,
        "owner": alert.owner,
        "resolution": alert.resolution,
    }


def _finding_line(row: dict[str, Any]) -> dict[str, Any]:
    # History shows which findings a case had and how bad; their evidence is on the row itself.
    return {name: row.get(name) for name in ("rule", "shipment_id", "severity", "summary")}


async def cases_of(session: AsyncSession, order_ids: Iterable[str]) -> dict[str, Alert | None]:
    """Each order's case: its unresolved alert, else its latest resolved one, else None."""
    wanted = list(order_ids)
    cases: dict[str, Alert | None] = dict.fromkeys(wanted)
    for row in await session.scalars(select(Alert).where(any_of(Alert.order_id, wanted))):
        known = cases[row.order_id]
        if known is None or _precedence(row) > _precedence(known):
            cases[row.order_id] = row
    return cases


def _precedence(alert: Alert) -> tuple[bool, datetime]:
    return (alert.status in UNRESOLVED_CASE, alert.opened_at)


def lead_finding(findings: list[Finding]) -> Finding:
    """The finding a case is led by: the worst, then the soonest act-by, then the rule registry's order."""
    return min(
        findings,
        key=lambda f: (f.severity.urgency, f.act_by or FAR_FUTURE, _RULE_ORDER.get(f.rule, len(_RULE_ORDER))),
    )


def sync_case(
    session: AsyncSession,
    order_id: str,
    findings: list[Finding],
    priorities: dict[FindingKey, int],
    case: Alert | None,
    now: datetime,
) -> Alert | None:
    """Apply one order's findings to its case; returns the case (raised here if there was none)."""
    problems = [finding for finding in findings if finding.severity is not Severity.INFO]
    unresolved = case is not None and case.status in UNRESOLVED_CASE
    if not findings or (not problems and not unresolved):
        # Nothing wrong — or only a recovery being watched, and no case to keep it in.
        if case is not None and unresolved:
            changes = {"status": CaseStatus.RESOLVED.value, "resolved_at": now, "resolution": CONDITION_CLEARED}
            change_alert(session, case, changes, "resolved", now)
        return case
    values = _case_values(findings, problems, priorities, case)
    if case is None:
        return _raise(session, order_id, values, now)
    if not unresolved:
        if case.resolution != CONDITION_CLEARED and not _unseen(case, problems):
            return case  # resolved by a person: their decision stands for what they saw
        reopened = {**values, "resolved_at": None, "resolution": None}
        change_alert(session, case, reopened, "reopened", now)
        return case
    change = _status_change(case.status, values["status"])
    change_alert(session, case, values, change, now)
    return case


def _status_change(before: str, after: str) -> str:
    if after == CaseStatus.RECOVERING and before != CaseStatus.RECOVERING:
        return "recovering"
    if before == CaseStatus.RECOVERING and after != CaseStatus.RECOVERING:
        return "reopened"
    return "updated"


def _unseen(case: Alert, problems: list[Finding]) -> bool:
    seen = {(row["rule"], row.get("shipment_id") or "") for row in case.findings or []}
    return any((finding.rule, finding.shipment_id or "") not in seen for finding in problems)


def _case_values(
    findings: list[Finding], problems: list[Finding], priorities: dict[FindingKey, int], case: Alert | None
) -> dict[str, Any]:
    lead = lead_finding(problems or findings)
    recovery = needed_recovery(findings)
    last_chances = [finding.last_chance for finding in findings if finding.last_chance is not None]
    cheapest = recovery.recovery.act_by if recovery is not None and recovery.recovery is not None else None
    same_lead = case is not None and (case.rule, case.shipment_key) == (lead.rule, lead.shipment_id or "")
    known = {(row["rule"], row.get("shipment_id") or ""): row for row in (case.findings or [])} if case else {}
    return {
        "status": _status(problems, case),
        "rule": lead.rule,
        "shipment_key": lead.shipment_id or "",
        "severity": lead.severity.value,
        "priority": min(priorities[finding.key] for finding in findings),
        "summary": lead.summary[:500],
        "evidence": kept_evidence(case.evidence, lead.evidence) if same_lead and case else lead.evidence,
        "act_by": max(last_chances, default=cheapest),
        "cheapest_act_by": cheapest,
        "findings": [_finding_row(finding, priorities[finding.key], known) for finding in findings],
    }


def _status(problems: list[Finding], case: Alert | None) -> str:
    if not problems:
        return CaseStatus.RECOVERING.value
    if case is not None and case.status == CaseStatus.ACKNOWLEDGED:
        return CaseStatus.ACKNOWLEDGED.value  # a new finding updates an owned case; the owner hears of it
    return CaseStatus.OPEN.value


def _finding_row(finding: Finding, priority: int, known: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    before = known.get((finding.rule, finding.shipment_id or ""))
    evidence = kept_evidence(before["evidence"], finding.evidence) if before else finding.evidence
    return {
        "rule": finding.rule,
        "shipment_id": finding.shipment_id,
        "severity": finding.severity.value,
        "priority": priority,
        "summary": finding.summary,
        "act_by": jsonable(finding.act_by),
        "last_chance": jsonable(finding.last_chance),
        "evidence": evidence,
    }


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


def _raise(session: AsyncSession, order_id: str, values: dict[str, Any], now: datetime) -> Alert:
    alert = Alert(
        alert_id=uuid.uuid4(),
        order_id=order_id,
        escalation_level=0,
        opened_at=now,
        updated_at=now,
        version=1,
        **values,
    )
    session.add(alert)
    case_changed(session, alert, "raised", now, SYSTEM, None, snapshot(alert))
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
    case_changed(session, alert, change, now, actor, before, after)
    event_class = {"resolved": AlertResolvedEvent, "escalated": AlertEscalatedEvent}.get(change, AlertUpdatedEvent)
    _publish(session, event_class, alert, now)
    return True


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
        cheapest_act_by=alert.cheapest_act_by,
        findings=[
            FindingLine.model_validate({**_finding_line(row), "act_by": row.get("act_by")})
            for row in alert.findings or []
        ],
        escalation_level=alert.escalation_level,
        owner=alert.owner,
        evidence=alert.evidence,
        version=alert.version,
    )
    publish(session, event_class, change, now)
