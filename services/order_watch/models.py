"""Every table of the order_watch schema, imported in one place for migrations and tests."""

from services.order_watch.alerts.models import Alert, AlertHistory
from services.order_watch.db import Base, OutboxMessage
from services.order_watch.orders.models import (
    CarrierEstimate,
    Order,
    ProcessedEvent,
    PromiseVersion,
    Shipment,
    TrackingEvent,
)
from services.order_watch.tasks.models import Task

__all__ = [
    "Alert",
    "AlertHistory",
    "Base",
    "CarrierEstimate",
    "Order",
    "OutboxMessage",
    "ProcessedEvent",
    "PromiseVersion",
    "Shipment",
    "Task",
    "TrackingEvent",
]
