"""Escalation policies by severity, as data, and the pure rules: which escalations are due, when the next is.

A policy lists the levels an alert climbs (team → lead → executive support), how long it may
stay unacknowledged at each level, and how close its act-by may come with nobody owning it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.clock import utc_iso
from services.common.vocab import UNRESOLVED_CASE, CaseStatus, Severity


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "example": {
                "severity": "critical",
                "levels": ["team", "lead", "executive_support"],
                "acknowledge_minutes": [15, 30],
                "unowned_act_by_minutes": 120,
            }
        },
    )

    severity: Severity
    levels: list[str] = Field(default_factory=lambda: ["team", "lead", "executive_support"], min_length=1)
    acknowledge_minutes: list[int] = Field(
        description="Minutes an unacknowledged alert stays at each level before the next (one fewer than levels)."
    )
    unowned_act_by_minutes: int | None = Field(
        description="Escalate once when the act-by is this close and nobody owns the alert; null: never."
    )

    @model_validator(mode="after")
    def _one_wait_per_step(self) -> EscalationPolicy:
        if len(self.acknowledge_minutes) > len(self.levels) - 1:
            raise ValueError("acknowledge_minutes has more steps than there are levels above the first")
        if any(minutes <= 0 for minutes in self.acknowledge_minutes):
            raise ValueError("acknowledge_minutes must be positive")
        return self

    def level_name(self, level: int) -> str:
        return self.levels[min(level, len(self.levels) - 1)]


DEFAULT_POLICIES: dict[Severity, EscalationPolicy] = {
    Severity.CRITICAL: EscalationPolicy(
        severity=Severity.CRITICAL, acknowledge_minutes=[15, 30], unowned_act_by_minutes=120
    ),
    Severity.WARNING: EscalationPolicy(
        severity=Severity.WARNING, acknowledge_minutes=[60, 240], unowned_act_by_minutes=240
    ),
    Severity.INFO: EscalationPolicy(severity=Severity.INFO, acknowledge_minutes=[], unowned_act_by_minutes=None),
}


@dataclass(frozen=True)
class AlertClock:
    """What escalation needs to know about an alert."""

    status: str
    opened_at: datetime
    owner: str | None
    act_by: datetime | None
    escalation_level: int


@dataclass(frozen=True)
class Escalation:
    """One due escalation: `key` makes it happen once; `level` is the level it calls for."""

    key: str
    level: int
    reason: str


def due_escalations(alert: AlertClock, policy: EscalationPolicy, now: datetime) -> list[Escalation]:
    """Every escalation the policy calls for at `now` (already-made ones are filtered by key)."""
    return [*_unacknowledged(alert, policy, now), *_unowned_act_by(alert, policy, now)]


def next_escalation_at(alert: AlertClock, policy: EscalationPolicy, now: datetime) -> datetime | None:
    """The first instant after `now` at which the policy calls for another escalation of the alert as it is;
    None: never, unless the alert or the policy changes."""
    upcoming = [deadline for deadline in _acknowledge_deadlines(alert, policy) if deadline > now]
    window = _unowned_window(alert, policy)
    if window is not None and window[0] > now:
        upcoming.append(window[0])
    return min(upcoming, default=None)


def _acknowledge_deadlines(alert: AlertClock, policy: EscalationPolicy) -> list[datetime]:
    """When an open alert nobody acknowledges is due at each level above the first."""
    if alert.status != CaseStatus.OPEN:
        return []
    deadlines, waited = [], timedelta()
    for minutes in policy.acknowledge_minutes:
        waited += timedelta(minutes=minutes)
        deadlines.append(alert.opened_at + waited)
    return deadlines


def _unacknowledged(alert: AlertClock, policy: EscalationPolicy, now: datetime) -> list[Escalation]:
    due = []
    for level, deadline in enumerate(_acknowledge_deadlines(alert, policy), start=1):
        if now < deadline:
            break
        waited = int((deadline - alert.opened_at).total_seconds() // 60)
        reason = f"not acknowledged within {waited} min: {policy.level_name(level)} now"
        due.append(Escalation(f"unacknowledged:{utc_iso(alert.opened_at)}:{level}", level, reason))
    return due


def _unowned_window(alert: AlertClock, policy: EscalationPolicy) -> tuple[datetime, datetime] | None:
    """From when until when an unresolved alert nobody owns escalates for its act-by coming close."""
    if alert.owner is not None or alert.act_by is None or policy.unowned_act_by_minutes is None:
        return None
    if alert.status not in UNRESOLVED_CASE:
        return None
    return alert.act_by - timedelta(minutes=policy.unowned_act_by_minutes), alert.act_by


def _unowned_act_by(alert: AlertClock, policy: EscalationPolicy, now: datetime) -> list[Escalation]:
    window = _unowned_window(alert, policy)
    if window is None or not window[0] <= now < window[1]:
        return []
    act_by, level = window[1], alert.escalation_level + 1
    reason = (
        f"act-by {utc_iso(act_by)} is less than {policy.unowned_act_by_minutes} min away and nobody owns "
        f"the alert: {policy.level_name(level)} now"
    )
    return [Escalation(f"unowned_act_by:{utc_iso(act_by)}", level, reason)]
