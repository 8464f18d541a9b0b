"""Rule thresholds as policy: anyone reads them, an admin changes one (audited), and the rules read it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common.db import transaction
from services.common.vocab import Severity
from services.order_watch.audit.models import AuditEntry
from services.order_watch.auth.tokens import Role
from services.order_watch.learning.flows import learned_catalog

pytestmark = pytest.mark.integration


async def test_an_admin_sets_a_threshold_audited_and_the_rules_get_it(api):
    listed = (await api.call("GET", "/thresholds", Role.SALES)).json()
    assert {"rule": "projected_late", "severity": "warning", "value": 0.8} in [
        {key: row[key] for key in ("rule", "severity", "value")} for row in listed
    ]
    path = "/thresholds/projected_late/warning"
    assert (await api.call("PUT", path, Role.FULFILLMENT, json={"value": 0.9})).status_code == 403
    assert (await api.call("PUT", path, Role.ADMIN, json={"value": 1.5})).status_code == 422
    assert (await api.call("PUT", "/thresholds/stalled/critical", Role.ADMIN, json={"value": 0.9})).status_code == 404
    assert (await api.call("PUT", path, Role.ADMIN, json={"value": 0.9})).json()["value"] == 0.9

    async with transaction(api.sessions) as session:
        (entry,) = await session.scalars(select(AuditEntry).where(AuditEntry.entity == "rule_threshold"))
        catalog = await learned_catalog(session)
    assert (entry.entity_id, entry.before, entry.after) == ("projected_late/warning", {"value": 0.8}, {"value": 0.9})
    assert catalog.policy.thresholds[("projected_late", Severity.WARNING)] == 0.9
