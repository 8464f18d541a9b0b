"""Notice an alert change for notification, in the caller's transaction (called by alert flows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.alerts.models import Alert
from services.order_watch.alerts.schemas import AlertOut
from services.order_watch.notifications.models import AlertNotice

# Changes a person should hear about; routine evidence updates and notes are not among them.
NOTIFIABLE = frozenset({"raised", "escalated", "reopened", "resolved", "assigned"})


def alert_message(alert: Alert) -> dict[str, Any]:
    """The alert as notifications render and send it: as the staff API shows it (`AlertOut`), in JSON."""
    return AlertOut.model_validate(alert).model_dump(mode="json")


def dedupe_key(alert: Alert) -> str:
    """One notice per alert state: the same (alert, version, status) is never noticed twice."""
    return f"{alert.alert_id}:{alert.version}:{alert.status}"


def notice_alert_change(session: AsyncSession, alert: Alert, change: str, now: datetime) -> None:
    if change not in NOTIFIABLE:
        return
    session.add(
        AlertNotice(
            dedupe_key=dedupe_key(alert),
            alert_id=str(alert.alert_id),
            order_id=alert.order_id,
            change=change,
            alert=alert_message(alert),
            created_at=now,
        )
    )
