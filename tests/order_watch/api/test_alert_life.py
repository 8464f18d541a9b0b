"""A full alert life over real HTTP and the real database: raised by the rules, escalated on an
unacknowledged breach by the scheduler's escalation round, acknowledged, noted, resolved —
each step in the audit trail with its actor; invalid transitions answered 409."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.order_watch.auth.tokens import Role
from services.order_watch.escalation.scheduled import run_escalations

pytestmark = pytest.mark.integration


async def only_alert(api, order_id, rule="service_downgrade"):
    alerts = (await api.call("GET", "/alerts", Role.SALES, params={"order_id": order_id, "rule": rule})).json()
    assert len(alerts) == 1, alerts
    return alerts[0]


async def test_raise_escalate_ack_note_resolve_with_audit_trail(api):
    order_id = await api.story_order()
    alert = await only_alert(api, order_id)
    assert (alert["status"], alert["severity"], alert["team"], alert["owner"]) == (
        "open",
        "critical",
        "fulfillment",
        None,
    )

    # Nobody acknowledges for 16 minutes: the critical policy (15 min at team level) escalates to the lead.
    api.clock.advance(timedelta(minutes=16))
    assert await run_escalations(api.settings, api.sessions, api.clock) == 1
    assert await run_escalations(api.settings, api.sessions, api.clock) == 0  # once per breach, however often we look
    alert = await only_alert(api, order_id)
    assert alert["escalation_level"] == 1
    assert "lead" in alert["evidence"]["escalation_reason"]

    acked = await api.call("POST", f"/alerts/{alert['alert_id']}/ack")
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["owner"]) == ("acknowledged", "fulfillment")
    api.clock.advance(timedelta(hours=2))
    assert await run_escalations(api.settings, api.sessions, api.clock) == 0  # acknowledged and owned: no further

    noted = await api.call("POST", f"/alerts/{alert['alert_id']}/notes", json={"text": "Promised Dana a call at 3pm."})
    assert noted.status_code == 201
    resolved = await api.call(
        "POST", f"/alerts/{alert['alert_id']}/resolve", json={"resolution": "reshipped", "note": "Overnight unit sent."}
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "reshipped")

    detail = (await api.call("GET", f"/alerts/{alert['alert_id']}", Role.SALES)).json()
    assert [change["change"] for change in detail["history"]] == ["raised", "escalated", "acknowledged", "resolved"]
    assert [note["text"] for note in detail["notes"]] == ["Promised Dana a call at 3pm.", "Overnight unit sent."]

    trail = (await api.call("GET", f"/orders/{order_id}/audit", Role.SALES)).json()
    alert_trail = [(e["action"], e["actor"]) for e in trail if e["entity"] == "alert"]
    assert alert_trail == [
        ("raised", "system"),
        ("escalated", "system"),
        ("acknowledged", "fulfillment"),
        ("noted", "fulfillment"),
        ("noted", "fulfillment"),
        ("resolved", "fulfillment"),
    ]
    acknowledged = next(e for e in trail if e["action"] == "acknowledged")
    assert (acknowledged["before"]["status"], acknowledged["after"]["status"]) == ("open", "acknowledged")
    assert (acknowledged["before"]["owner"], acknowledged["after"]["owner"]) == (None, "fulfillment")
    assert any(e["entity"] == "task" and e["action"] == "created" and e["actor"] == "system" for e in trail)

    # The rules still see the downgrade, but a person's resolution stands until a person reopens it.
    await api.reevaluate(order_id)
    assert (await only_alert(api, order_id))["status"] == "resolved"


async def test_invalid_transitions_are_409_problems(api):
    order_id = await api.story_order()
    alert = await only_alert(api, order_id)
    path = f"/alerts/{alert['alert_id']}"
    assert (await api.call("POST", f"{path}/reopen", json={"reason": "x"})).status_code == 409
    await api.call("POST", f"{path}/resolve", json={"resolution": "false_alarm"})
    again = await api.call("POST", f"{path}/resolve", json={"resolution": "false_alarm"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["current_status"] == "resolved"
    assert (await api.call("POST", f"{path}/ack")).status_code == 409
    reopened = await api.call("POST", f"{path}/reopen", json={"reason": "customer called again"})
    assert reopened.json()["status"] == "open"
    assert (await api.call("POST", f"{path}/ack")).status_code == 200
    assert (await api.call("POST", f"{path}/ack")).status_code == 409
    assigned = await api.call("POST", f"{path}/assign", json={"owner": "li.wei"})
    assert assigned.json()["owner"] == "li.wei"
    padded = await api.call("POST", f"{path}/assign", json={"owner": "  li.wei\n"})
    assert (padded.status_code, padded.json()["owner"]) == (200, "li.wei")  # input is stripped, API and UI alike
    assert (await api.call("POST", f"{path}/notes", json={"text": "   "})).status_code == 422
    bad_code = await api.call("POST", f"{path}/resolve", json={"resolution": "condition_cleared"})
    assert bad_code.status_code == 422
    missing = await api.call("POST", "/alerts/00000000-0000-0000-0000-000000000000/ack")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no case '00000000-0000-0000-0000-000000000000'"


async def test_filters(api):
    order_id = await api.story_order()
    other = await api.story_order()
    alert = await only_alert(api, order_id)
    await api.call("POST", f"/alerts/{alert['alert_id']}/ack")

    async def ids(**params):
        answer = await api.call("GET", "/alerts", Role.SALES, params=params)
        assert answer.status_code == 200, answer.text
        return {a["order_id"] for a in answer.json()}

    assert await ids(owner="fulfillment") == {order_id}
    assert await ids(status="open", rule="service_downgrade") == {other}
    assert await ids(team="fulfillment", severity="critical") == {order_id, other}
    assert await ids(team="customer_care") == set()
    assert await ids(due_before="2026-11-19T17:00:00-06:00") == set()
    assert await ids(due_before="2026-11-19T17:00:01-06:00") == {order_id, other}


async def test_looking_again_at_an_unchanged_order_changes_nothing(api):
    # The worker computes act-by times in the warehouse's zone; the scheduler reads them back from
    # the database in UTC. The same instant spelled two ways is not a change anyone should see.
    order_id = await api.story_order()
    await api.reevaluate(order_id)
    api.clock.advance(timedelta(minutes=1))
    await api.reevaluate(order_id)

    alert = await only_alert(api, order_id)
    detail = (await api.call("GET", f"/alerts/{alert['alert_id']}", Role.SALES)).json()
    assert [change["change"] for change in detail["history"]] == ["raised"]
    assert detail["version"] == 1
    trail = (await api.call("GET", f"/orders/{order_id}/audit", Role.SALES)).json()
    assert [(e["entity"], e["action"]) for e in trail] == [("alert", "raised"), ("task", "created")]

    # An escalation's reason outlives the next look at the order.
    api.clock.advance(timedelta(minutes=16))
    assert await run_escalations(api.settings, api.sessions, api.clock) == 1
    await api.reevaluate(order_id)
    detail = (await api.call("GET", f"/alerts/{alert['alert_id']}", Role.SALES)).json()
    assert [change["change"] for change in detail["history"]] == ["raised", "escalated"]
    assert "lead" in detail["evidence"]["escalation_reason"]


def test_a_refusal_reads_as_a_sentence():
    from services.order_watch.alerts.actions import InvalidTransition

    assert str(InvalidTransition("case", "acknowledge", "acknowledged", ("open",))) == (
        "cannot acknowledge an acknowledged case; only open ones"
    )
    assert str(InvalidTransition("task", "claim", "done", ("open", "claimed"))) == (
        "cannot claim a done task; only open or claimed ones"
    )
