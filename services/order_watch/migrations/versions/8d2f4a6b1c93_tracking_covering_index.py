"""tracking_events: the rules' columns in the (carrier, tracking number, event time) index

Each batch reads every scan of the parcels it touched. A parcel's scans arrive over days, so they
sit on as many heap pages, and the rows are wide (the scan as received): the read cost grew with
the table. With the columns the rules read in the index, an index-only scan serves it from
pages that hold nothing else (as soon as vacuum has marked the heap pages all-visible).

Revision ID: 8d2f4a6b1c93
Revises: 5b1e0c7d9a42
Create Date: 2026-12-01 21:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8d2f4a6b1c93"
down_revision: str | None = "5b1e0c7d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_COLUMNS = [
    "received_at",
    "event_id",
    "source",
    "status",
    "exception_reason",
    "raw_status_code",
    "description",
    "service_level",
]


def upgrade() -> None:
    op.create_index(
        "ix_tracking_rules",
        "tracking_events",
        ["carrier", "tracking_number", "event_time"],
        schema="order_watch",
        postgresql_include=RULE_COLUMNS,
    )
    op.drop_index("ix_tracking_carrier_number_time", table_name="tracking_events", schema="order_watch")


def downgrade() -> None:
    op.create_index(
        "ix_tracking_carrier_number_time",
        "tracking_events",
        ["carrier", "tracking_number", "event_time"],
        schema="order_watch",
    )
    op.drop_index("ix_tracking_rules", table_name="tracking_events", schema="order_watch")
