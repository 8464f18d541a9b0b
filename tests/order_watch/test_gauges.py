"""order_watch's sampled gauges read from the real database: open alerts and tasks by rule and
severity (0 for every other pair, back to 0 once resolved), escalations, notification outcomes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from services.common.db import Database, database, transaction
from services.order_watch.escalation.models import EscalationRecord
from services.order_watch.gauges import escalations, notifications, open_work
from services.order_watch.notifications.models import AlertNotice, Notification
from tests.order_watch.conftest import Api

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(api: Api) -> AsyncIterator[Database]:
    async with database(api.settings.database_url, pool_size=1) as opened:
        yield opened


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_open_alerts_and_tasks_follow_the_database(api: Api, db: Database) -> None:
    sample = open_work()
    order_id = await api.story_order()
    await sample(db)
    alert = (await api.call("GET", f"/alerts?order_id={order_id}")).json()[0]
    assert value("orderwatch_open_alerts", rule="service_downgrade", severity=alert["severity"]) == 1
    assert value("orderwatch_open_tasks", rule="service_downgrade", severity=alert["severity"]) == 1
    assert value("orderwatch_open_alerts", rule="stalled", severity="critical") == 0
    resolved = await api.call("POST", f"/alerts/{alert['alert_id']}/resolve", json={"resolution": "false_alarm"})
    assert resolved.status_code == 200, resolved.text
    await sample(db)
    assert value("orderwatch_open_alerts", rule="service_downgrade", severity=alert["severity"]) == 0


async def test_escalations_and_notification_outcomes(api: Api, db: Database) -> None:
    now = api.clock.now()
    async with transaction(api.sessions) as session:
        session.add(EscalationRecord(alert_id=uuid.uuid4(), key="unacknowledged:1", level=1, reason="test", at=now))
        session.add(AlertNotice(dedupe_key="n1", alert_id="a", order_id="o", change="raised", alert={}, created_at=now))
        for notice_id, status in ((1, "sent"), (2, "sent"), (3, "dead")):
            session.add(
                Notification(notice_id=notice_id, channel="ops", status=status, next_attempt_at=now, created_at=now)
            )
    await escalations()(db)
    await notifications(["ops", "crm"])(db)
    assert (value("orderwatch_escalations", level="1"), value("orderwatch_escalations", level="2")) == (1, 0)
    assert value("orderwatch_notifications", channel="ops", status="sent") == 2
    assert value("orderwatch_notifications", channel="ops", status="dead") == 1
    assert value("orderwatch_notifications", channel="crm", status="pending") == 0
    assert value("orderwatch_notices_unrouted") == 1
