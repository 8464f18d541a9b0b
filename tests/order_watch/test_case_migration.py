"""The migration to one case per order problem, on a database holding alerts of the old shape:
an order's several unresolved alerts become one case (the most urgent) holding all their
findings, the others are resolved as merged with their history kept; and it downgrades again."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.migrations import alembic_config, upgrade

pytestmark = pytest.mark.integration
PACKAGE = "services.order_watch"
BEFORE = "8d2f4a6b1c93"
ALERT = """INSERT INTO order_watch.alerts (alert_id, order_id, rule, shipment_key, status, severity, priority,
    summary, evidence, act_by, escalation_level, owner, opened_at, updated_at, version)
    VALUES (:id, :order_id, :rule, :shipment, :status, :severity, :priority, :summary, '{}'::jsonb,
    now(), 0, NULL, now() - make_interval(mins => :age), now(), 1)"""


async def _execute(url: str, statements: list[tuple[str, dict]]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for sql, params in statements:
                await connection.execute(text(sql), params)
    finally:
        await engine.dispose()


async def _select(url: str, sql: str) -> list[dict]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [dict(row._mapping) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


def test_several_alerts_of_an_order_become_one_case_and_back(stack) -> None:
    database = f"migration_{uuid.uuid4().hex[:8]}"
    stack.postgres.psql(f'CREATE DATABASE "{database}"')
    url = stack.postgres.url.rsplit("/", 1)[0] + f"/{database}"
    upgrade(PACKAGE, url, BEFORE)
    rows = [
        ("ORD-A", "carrier_estimate_late", "S1", "open", "critical", 2, 30),
        ("ORD-A", "service_downgrade", "S1", "acknowledged", "critical", 1, 60),
        ("ORD-A", "stalled", "S1", "resolved", "warning", 4, 90),
        ("ORD-B", "stalled", "S2", "open", "warning", 4, 10),
    ]
    ids = {}
    inserts = []
    for order_id, rule, shipment, status, severity, priority, age in rows:
        ids[rule, order_id] = uuid.uuid4()
        params = dict(id=ids[rule, order_id], order_id=order_id, rule=rule, shipment=shipment, status=status,
                      severity=severity, priority=priority, summary=f"{rule} found", age=age)  # fmt: skip
        inserts.append((ALERT, params))
    asyncio.run(_execute(url, inserts))

    upgrade(PACKAGE, url)
    query = "SELECT order_id, rule, status, resolution, findings FROM order_watch.alerts ORDER BY opened_at"
    alerts = asyncio.run(_select(url, query))
    by_rule = {(row["order_id"], row["rule"]): row for row in alerts}
    case = by_rule["ORD-A", "service_downgrade"]  # most urgent of the order's unresolved alerts
    assert case["status"] == "acknowledged"
    assert [finding["rule"] for finding in case["findings"]] == ["service_downgrade", "carrier_estimate_late"]
    merged = by_rule["ORD-A", "carrier_estimate_late"]
    assert (merged["status"], merged["resolution"]) == ("resolved", "merged")
    assert by_rule["ORD-A", "stalled"]["resolution"] is None  # resolved before: untouched
    assert by_rule["ORD-B", "stalled"]["status"] == "open"
    unresolved = [row["order_id"] for row in alerts if row["status"] != "resolved"]
    assert sorted(unresolved) == ["ORD-A", "ORD-B"]  # one case per order

    command.downgrade(alembic_config(PACKAGE, url), BEFORE)
    stack.postgres.psql(f'DROP DATABASE "{database}"')
