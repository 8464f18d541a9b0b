"""delivery_models: fitted delivery model versions (learning/)

Revision ID: 5d1e7a9c3b20
Revises: 2845ce625845
Create Date: 2026-12-01 20:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d1e7a9c3b20"
down_revision: str | None = "2845ce625845"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_models",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_delivery_models")),
        schema="order_watch",
    )
    op.create_index(
        op.f("ix_order_watch_delivery_models_fitted_at"), "delivery_models", ["fitted_at"], schema="order_watch"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_order_watch_delivery_models_fitted_at"), table_name="delivery_models", schema="order_watch")
    op.drop_table("delivery_models", schema="order_watch")
