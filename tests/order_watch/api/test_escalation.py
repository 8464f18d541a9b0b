"""The scheduler's escalation round over the real database: it looks only at alerts the policy
may still escalate, so alerts at the top of their policy never crowd out a new one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.db import transaction
from services.order_watch.auth.tokens import Role
from services.order_watch.escalation import service
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
