"""The scheduler's escalation round over the real database: it looks only at alerts the policy
may still escalate, so alerts at the top of their policy never crowd out a new one; a policy an
admin stores (audited) is the one the round follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.common.db import transaction
from services.common.vocab import Severity
from services.order_watch.audit.models import AuditEntry
from services.order_watch.auth.tokens import Role
from services.order_watch.escalation import service
from services.order_watch.escalation.policies import DEFAULT_POLICIES
from services.order_watch.escalation.scheduled import run_escalations

pytestmark = pytest.mark.integration


async def downgrade_alert(api, order_id):
    (alert,) = (await api.call("GET", "/alerts", Role.SALES, params={"order_id": order_id})).json()
    return alert


async def test_alerts_at_the_top_of_their_policy_do_not_crowd_out_a_new_one(api):
    settings = api.settings.model_copy(update={"escalation_batch": 2})
    maxed = [await api.story_order() for _ in range(5)]
    api.clock.advance(timedelta(minutes=46))  # past both critical steps (15 + 30 min): executive support
    while await run_escalations(settings, api.sessions, api.clock):
        pass
    assert {(await downgrade_alert(api, order_id))["escalation_level"] for order_id in maxed} == {2}
    async with transaction(api.sessions) as session:
        assert await service.claim_candidates(session, api.clock.now(), 100) == [], "nothing left to escalate"

    fresh = await api.story_order()
    api.clock.advance(timedelta(minutes=16))
    assert await run_escalations(settings, api.sessions, api.clock) == 1
    assert (await downgrade_alert(api, fresh))["escalation_level"] == 1


async def policy_changes(api):
    async with api.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.entity == "escalation_policy")))


async def test_an_admin_replaces_a_policy_audited_and_the_round_follows_it(api):
    order_id = await api.story_order()
    assert await run_escalations(api.settings, api.sessions, api.clock) == 0  # next escalation: in 15 min
    faster = {
        "severity": "critical",
        "levels": ["team", "lead"],
        "acknowledge_minutes": [5],
        "unowned_act_by_minutes": None,
    }

    assert (await api.call("PUT", "/escalation/policies/critical", Role.FULFILLMENT, json=faster)).status_code == 403
    mismatch = await api.call("PUT", "/escalation/policies/warning", Role.ADMIN, json=faster)
    assert (mismatch.status_code, mismatch.headers["content-type"]) == (422, "application/problem+json")
    assert await policy_changes(api) == []

    stored = await api.call("PUT", "/escalation/policies/critical", Role.ADMIN, json=faster)
    assert (stored.status_code, stored.json()) == (200, faster)
    (change,) = await policy_changes(api)
    assert (change.entity_id, change.action, change.actor) == ("critical", "changed", "admin")
    assert change.before == DEFAULT_POLICIES[Severity.CRITICAL].model_dump(mode="json")
    assert change.after == faster
    listed = (await api.call("GET", "/escalation/policies", Role.SALES)).json()
    assert faster in listed

    api.clock.advance(timedelta(minutes=6))  # past the stored 5 minutes, well short of the default 15
    assert await run_escalations(api.settings, api.sessions, api.clock) == 1
    alert = await downgrade_alert(api, order_id)
    assert alert["escalation_level"] == 1 and "within 5 min: lead" in alert["evidence"]["escalation_reason"]

    slower = {**faster, "acknowledge_minutes": [10]}
    assert (await api.call("PUT", "/escalation/policies/critical", Role.ADMIN, json=slower)).status_code == 200
    assert [entry.before for entry in await policy_changes(api)] == [change.before, faster]
