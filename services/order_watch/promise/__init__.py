"""Promise engine: carrier calendars, transit, expected delivery, act-by times and recovery plans.

Pure: no I/O beyond reading its own packaged data files once, no clock reads (`now` is always
a parameter), timezone-aware datetimes only.
"""

from services.order_watch.promise.calendar import (
    CarrierCalendar,
    Zone,
    add_business_time,
    business_time_between,
)
from services.order_watch.promise.catalog import CarrierService, Catalog, LevelDefaults, load_catalog
from services.order_watch.promise.delivery import (
    claim_deadline,
    cutoff_instant,
    delivery_from_pickup,
    expected_delivery,
    latest_handover,
    pickup_date,
    project_delivery,
)
from services.order_watch.promise.recovery import RecoveryOption, last_chance, recovery_options

__all__ = [
    "CarrierCalendar",
    "CarrierService",
    "Catalog",
    "LevelDefaults",
    "RecoveryOption",
    "Zone",
    "add_business_time",
    "business_time_between",
    "claim_deadline",
    "cutoff_instant",
    "delivery_from_pickup",
    "expected_delivery",
    "last_chance",
    "latest_handover",
    "load_catalog",
    "pickup_date",
    "project_delivery",
    "recovery_options",
]
