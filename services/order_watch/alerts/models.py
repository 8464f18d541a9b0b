"""Alert tables: the case for one order problem in its current state, and every change it went through.

An alert is the unit staff own: one per order problem while it is unresolved (a partial unique
index says so). The rules' findings for the order are its `findings`; the worst of them leads
(`rule`, `shipment_key`, `severity`, `summary`, `evidence`). `act_by` is the last chance — the
latest cut-off of any recovery that still keeps the promise — and `cheapest_act_by` the cut-off
of the recommended (cheapest) one.

`next_escalation_at` is kept by the scheduler's escalation round (not by alert changes): worked
out from the policy for the alert's `version` it was checked at (`escalation_checked_version`);
a change bumps the version, so the round looks at a changed alert again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.vocab import UNRESOLVED_CASE, Severity
from services.order_watch.cursors import FAR_FUTURE_SQL
from services.order_watch.db import Base

UNRESOLVED = "status IN ({})".format(", ".join(f"'{status.value}'" for status in UNRESOLVED_CASE))
# The board's order: unowned first, then the last chance, severity and priority (alerts.service).
# Severity.urgency as SQL, worded exactly as the migration that made the board index spells it
# (the planner uses the index only for the same expression).
_BY_URGENCY = sorted(Severity, key=lambda severity: severity.urgency)
SEVERITY_RANK_SQL = "CASE severity {} ELSE {} END".format(
    " ".join(f"WHEN '{severity.value}' THEN {severity.urgency}" for severity in _BY_URGENCY[:-1]),
    _BY_URGENCY[-1].urgency,
)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("uq_alerts_one_case_per_order", "order_id", unique=True, postgresql_where=text(UNRESOLVED)),
        # The escalation round reads only unresolved alerts, however many were resolved before.
        Index("ix_alerts_escalation_due", "next_escalation_at", postgresql_where=text(UNRESOLVED)),
        # The board: unresolved alerts in list order (alerts.service.SORT_KEY), a page at a time.
        Index(
            "ix_alerts_board",
            text("(owner IS NOT NULL)"),
            text(f"coalesce(act_by, {FAR_FUTURE_SQL})"),
            text(f"({SEVERITY_RANK_SQL})"),
            "priority",
            "opened_at",
            "alert_id",
            postgresql_where=text(UNRESOLVED),
        ),
        Index("ix_alerts_owner", "owner", postgresql_where=text("owner IS NOT NULL")),
    )

    alert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(String(50))
    shipment_key: Mapped[str] = mapped_column(String(100), doc="shipment_id, or '' for order-level findings")
    status: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    act_by: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="The last chance: the latest cut-off that keeps the promise."
    )
    cheapest_act_by: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="The cut-off of the recommended (cheapest) recovery."
    )
    findings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'"), doc="The order's current findings (alerts.flows.finding_row)."
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(100), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    next_escalation_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="When the policy next escalates the alert as it is; null: never."
    )
    escalation_checked_version: Mapped[int | None] = mapped_column(
        Integer, nullable=True, doc="The version next_escalation_at was worked out for; null: not yet."
    )


class AlertHistory(Base):
    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(String(30))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)
