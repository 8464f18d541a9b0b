"""alerts: one case per order problem — findings inside, the last chance and the cheapest act-by

Until now an order had an alert per (rule, shipment), so one problem showed as several rows with
as many owners. An alert is now the case for the order's problem: its findings are kept in
`findings`, one unresolved alert per order. Orders with several unresolved alerts keep the most
urgent as the case; the others are resolved as "merged" (their history stays) and their findings
move into it. The board index follows the new list order: unowned first, then the last chance,
severity and priority.

Revision ID: 3c7e9a1d5f20
Revises: 8d2f4a6b1c93
Create Date: 2026-12-02 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "3c7e9a1d5f20"
down_revision: str | None = "8d2f4a6b1c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAR_FUTURE = "'9999-12-31T00:00:00+00:00'::timestamptz"
SEVERITY_RANK = "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END"
OLD_UNRESOLVED = "status IN ('open', 'acknowledged')"
UNRESOLVED = "status IN ('open', 'acknowledged', 'recovering')"

FINDING_OF_ROW = """jsonb_build_object('rule', rule, 'shipment_id', nullif(shipment_key, ''), 'severity', severity,
    'summary', summary, 'act_by', act_by, 'evidence', evidence)"""

MERGE = f"""
WITH ranked AS (
    SELECT alert_id, order_id,
           first_value(alert_id) OVER (
               PARTITION BY order_id ORDER BY {SEVERITY_RANK}, priority, opened_at, alert_id
           ) AS case_id
    FROM order_watch.alerts WHERE {OLD_UNRESOLVED}
),
merged AS (
    SELECT r.case_id, jsonb_agg(a.findings -> 0 ORDER BY a.opened_at) AS findings
    FROM ranked r JOIN order_watch.alerts a USING (alert_id)
    WHERE r.alert_id <> r.case_id GROUP BY r.case_id
),
kept AS (
    UPDATE order_watch.alerts a SET findings = a.findings || m.findings, version = a.version + 1
    FROM merged m WHERE a.alert_id = m.case_id
)
UPDATE order_watch.alerts a
SET status = 'resolved', resolution = 'merged', resolved_at = now(), updated_at = now(), version = a.version + 1
FROM ranked r WHERE a.alert_id = r.alert_id AND r.alert_id <> r.case_id
"""


def upgrade() -> None:
    op.add_column("alerts", sa.Column("findings", JSONB, nullable=False, server_default="[]"), schema="order_watch")
    op.add_column("alerts", sa.Column("cheapest_act_by", sa.DateTime(timezone=True)), schema="order_watch")
    op.execute(
        f"UPDATE order_watch.alerts SET findings = jsonb_build_array({FINDING_OF_ROW}), cheapest_act_by = act_by"
    )
    op.execute(MERGE)
    op.drop_constraint("uq_alerts_order_id_rule_shipment_key", "alerts", schema="order_watch")
    op.create_index(
        "uq_alerts_one_case_per_order",
        "alerts",
        ["order_id"],
        unique=True,
        schema="order_watch",
        postgresql_where=sa.text(UNRESOLVED),
    )
    _board_and_escalation_indexes(UNRESOLVED, new_order=True)


def downgrade() -> None:
    op.drop_index("uq_alerts_one_case_per_order", table_name="alerts", schema="order_watch")
    op.execute("UPDATE order_watch.alerts SET status = 'open' WHERE status = 'recovering'")
    op.create_unique_constraint(
        "uq_alerts_order_id_rule_shipment_key", "alerts", ["order_id", "rule", "shipment_key"], schema="order_watch"
    )
    _board_and_escalation_indexes(OLD_UNRESOLVED, new_order=False)
    op.drop_column("alerts", "cheapest_act_by", schema="order_watch")
    op.drop_column("alerts", "findings", schema="order_watch")


def _board_and_escalation_indexes(unresolved: str, *, new_order: bool) -> None:
    op.drop_index("ix_alerts_board", table_name="alerts", schema="order_watch")
    op.drop_index("ix_alerts_escalation_due", table_name="alerts", schema="order_watch")
    op.create_index(
        "ix_alerts_escalation_due",
        "alerts",
        ["next_escalation_at"],
        schema="order_watch",
        postgresql_where=sa.text(unresolved),
    )
    columns = (
        [
            sa.text("(owner IS NOT NULL)"),
            sa.text(f"coalesce(act_by, {FAR_FUTURE})"),
            sa.text(f"({SEVERITY_RANK})"),
            "priority",
            "opened_at",
            "alert_id",
        ]
        if new_order
        else ["priority", sa.text(f"coalesce(act_by, {FAR_FUTURE})"), "opened_at", "alert_id"]
    )
    op.create_index("ix_alerts_board", "alerts", columns, schema="order_watch", postgresql_where=sa.text(unresolved))
