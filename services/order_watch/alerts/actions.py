"""What a person does to an alert: acknowledge, assign, note, resolve, reopen.

Each checks the transition first (an invalid one raises `InvalidTransition`, answered 409) and
goes through `change_alert`, so history, audit, outbox and notifications follow as for the system.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.vocab import CASE_ACTIONS, CaseStatus
from services.order_watch.alerts.flows import change_alert
from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.schemas import Resolution
from services.order_watch.alerts.service import NOTED
from services.order_watch.audit.service import record
from services.order_watch.auth.tokens import Actor

ALLOWED_FROM = CASE_ACTIONS


class InvalidTransition(Exception):
    """An action the current status does not allow."""

    def __init__(self, entity: str, action: str, status: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"cannot {action} {with_article(status)} {entity}; only {either(allowed)} ones")
        self.status = status


def with_article(word: str) -> str:
    """'an acknowledged', 'an open', 'a resolved': read aloud, the article follows the sound."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def either(words: tuple[str, ...]) -> str:
    """'open', 'open or acknowledged', 'open, acknowledged or escalated'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def check_transition(entity: str, action: str, status: str, allowed: tuple[str, ...]) -> None:
    if status not in allowed:
        raise InvalidTransition(entity, action, status, allowed)


def acknowledge(session: AsyncSession, alert: Alert, actor: Actor, now: datetime) -> None:
    """Acknowledge the alert and take ownership of it."""
    check_transition("case", "acknowledge", alert.status, ALLOWED_FROM["acknowledge"])
    changes = {"status": CaseStatus.ACKNOWLEDGED, "owner": actor.name}
    change_alert(session, alert, changes, "acknowledged", now, actor.name)


def assign(session: AsyncSession, alert: Alert, owner: str, actor: Actor, now: datetime) -> None:
    check_transition("case", "assign", alert.status, ALLOWED_FROM["assign"])
    change_alert(session, alert, {"owner": owner}, "assigned", now, actor.name)


def note(session: AsyncSession, alert: Alert, text: str, actor: Actor, now: datetime) -> None:
    """Write down what was said or promised: it goes to the audit trail, the alert is unchanged."""
    record(session, "alert", str(alert.alert_id), NOTED, actor.name, now, None, {"note": text}, order_id=alert.order_id)


def resolve(
    session: AsyncSession, alert: Alert, resolution: Resolution, text: str | None, actor: Actor, now: datetime
) -> None:
    check_transition("case", "resolve", alert.status, ALLOWED_FROM["resolve"])
    if text:
        note(session, alert, text, actor, now)
    changes = {"status": CaseStatus.RESOLVED, "resolved_at": now, "resolution": resolution.value}
    change_alert(session, alert, changes, "resolved", now, actor.name)


def reopen(session: AsyncSession, alert: Alert, reason: str, actor: Actor, now: datetime) -> None:
    """Open a resolved alert again; its acknowledgement clock starts over."""
    check_transition("case", "reopen", alert.status, ALLOWED_FROM["reopen"])
    note(session, alert, f"reopened: {reason}", actor, now)
    changes = {"status": CaseStatus.OPEN, "resolved_at": None, "resolution": None, "opened_at": now}
    change_alert(session, alert, changes, "reopened", now, actor.name)
