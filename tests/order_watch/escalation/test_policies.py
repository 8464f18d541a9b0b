"""Escalation rules are pure: which escalations a policy calls for, given an alert and `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.vocab import Severity
from services.order_watch.escalation.policies import (
    DEFAULT_POLICIES,
    AlertClock,
    EscalationPolicy,
    due_escalations,
    next_escalation_at,
)

OPENED = datetime(2026, 11, 18, 23, 45, tzinfo=UTC)
CRITICAL = DEFAULT_POLICIES[Severity.CRITICAL]


def alert(**changes):
    values = {"status": "open", "opened_at": OPENED, "owner": None, "act_by": None, "escalation_level": 0}
    return AlertClock(**(values | changes))


def levels(clock, minutes):
    return [
        (e.level, e.key.split(":")[0]) for e in due_escalations(clock, CRITICAL, OPENED + timedelta(minutes=minutes))
    ]


def test_unacknowledged_alert_climbs_team_lead_executive():
    assert levels(alert(), 14) == []
    assert levels(alert(), 15) == [(1, "unacknowledged")]
    assert levels(alert(), 45) == [(1, "unacknowledged"), (2, "unacknowledged")]
    assert levels(alert(status="acknowledged", owner="maria"), 600) == []


def test_unowned_act_by_coming_close_escalates_once_per_act_by():
    act_by = OPENED + timedelta(hours=5)
    quiet = alert(status="acknowledged", act_by=act_by)
    assert levels(quiet, 179) == []
    (due,) = due_escalations(quiet, CRITICAL, act_by - timedelta(minutes=119))
    assert (due.level, due.key) == (1, f"unowned_act_by:{act_by.isoformat()}")
    assert "executive" not in due.reason and "lead" in due.reason
    assert due_escalations(quiet, CRITICAL, act_by) == []  # passed: the task expiry escalates instead
    assert due_escalations(alert(status="acknowledged", act_by=act_by, owner="li"), CRITICAL, act_by) == []


def test_info_never_escalates_and_policies_are_validated():
    info = DEFAULT_POLICIES[Severity.INFO]
    assert due_escalations(alert(act_by=OPENED + timedelta(minutes=5)), info, OPENED + timedelta(days=3)) == []
    with pytest.raises(ValueError):
        EscalationPolicy(
            severity=Severity.WARNING, levels=["team"], acknowledge_minutes=[10], unowned_act_by_minutes=None
        )


def test_the_next_escalation_is_the_first_step_still_ahead():
    def after(clock, minutes):
        return next_escalation_at(clock, CRITICAL, OPENED + timedelta(minutes=minutes))

    assert after(alert(), 0) == OPENED + timedelta(minutes=15)
    assert after(alert(), 15) == OPENED + timedelta(minutes=45)  # the step due at 15 is made in that round
    assert after(alert(escalation_level=2), 45) is None  # the top of the policy: nothing more, ever
    assert after(alert(status="acknowledged", owner="maria"), 0) is None

    act_by = OPENED + timedelta(hours=5)
    quiet = alert(status="acknowledged", act_by=act_by)
    assert after(quiet, 0) == act_by - timedelta(minutes=120)
    assert after(quiet, 180) is None  # the act-by window is open: that escalation is made in this round
    assert after(alert(act_by=act_by), 50) == act_by - timedelta(minutes=120)
    assert next_escalation_at(alert(act_by=act_by), DEFAULT_POLICIES[Severity.INFO], OPENED) is None
