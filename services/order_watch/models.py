"""Every table of the order_watch schema, imported in one place for migrations and tests."""

from services.order_watch.alerts.models import Alert, AlertHistory
from services.order_watch.audit.models import AuditEntry
from services.order_watch.auth.models import ApiToken
from services.order_watch.db import Base, OutboxMessage
from services.order_watch.escalation.models import EscalationPolicyRow, EscalationRecord
from services.order_watch.learning.models import DeliveryModelRow
from services.order_watch.notifications.models import AlertNotice, Notification
from services.order_watch.orders.models import (
    CarrierEstimate,
    Order,
    ProcessedEvent,
    PromiseVersion,
    Shipment,
    TrackingEvent,
)
from services.order_watch.tasks.models import Task
from services.order_watch.thresholds.models import RuleThresholdRow

__all__ = [
    "Alert",
    "AlertHistory",
    "AlertNotice",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CarrierEstimate",
    "DeliveryModelRow",
    "EscalationPolicyRow",
    "EscalationRecord",
    "Notification",
    "Order",
    "OutboxMessage",
    "ProcessedEvent",
    "PromiseVersion",
    "RuleThresholdRow",
    "Shipment",
    "Task",
    "TrackingEvent",
]
