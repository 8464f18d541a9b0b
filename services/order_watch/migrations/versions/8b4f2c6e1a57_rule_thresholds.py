"""rule_thresholds: thresholds per rule and severity set by an admin (the defaults need no row)

Revision ID: 8b4f2c6e1a57
Revises: 5d1e7a9c3b20
Create Date: 2026-12-01 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b4f2c6e1a57"
down_revision: str | None = "5d1e7a9c3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_thresholds",
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("rule", "severity", name=op.f("pk_rule_thresholds")),
        schema="order_watch",
    )


def downgrade() -> None:
    op.drop_table("rule_thresholds", schema="order_watch")
