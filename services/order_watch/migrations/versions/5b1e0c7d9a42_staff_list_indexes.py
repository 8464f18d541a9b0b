"""staff lists: keyset indexes for the alert and task boards, owner indexes

The boards list unresolved alerts (live tasks) in their sort order a page at a time: a partial
index on exactly that order makes a page cost the same however much history is stored. Owners
("my alerts", "my tasks") are the selective filter over history.

Revision ID: 5b1e0c7d9a42
Revises: 8b4f2c6e1a57
Create Date: 2026-12-01 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e0c7d9a42"
down_revision: str | None = "8b4f2c6e1a57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# services.order_watch.cursors.last_if_null(act_by): null act-by sorts last.
ACT_BY_LAST_IF_NULL = sa.text("coalesce(act_by, '9999-12-31T00:00:00+00:00'::timestamptz)")
UNRESOLVED = sa.text("status IN ('open', 'acknowledged')")
LIVE = sa.text("status IN ('open', 'claimed')")
OWNED = sa.text("owner IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_alerts_board",
        "alerts",
        ["priority", ACT_BY_LAST_IF_NULL, "opened_at", "alert_id"],
        schema="order_watch",
        postgresql_where=UNRESOLVED,
    )
    op.create_index("ix_alerts_owner", "alerts", ["owner"], schema="order_watch", postgresql_where=OWNED)
    op.create_index(
        "ix_tasks_board", "tasks", ["act_by", "created_at", "task_id"], schema="order_watch", postgresql_where=LIVE
    )
    op.create_index("ix_tasks_owner", "tasks", ["owner"], schema="order_watch", postgresql_where=OWNED)


def downgrade() -> None:
    op.drop_index("ix_tasks_owner", table_name="tasks", schema="order_watch")
    op.drop_index("ix_tasks_board", table_name="tasks", schema="order_watch")
    op.drop_index("ix_alerts_owner", table_name="alerts", schema="order_watch")
    op.drop_index("ix_alerts_board", table_name="alerts", schema="order_watch")
