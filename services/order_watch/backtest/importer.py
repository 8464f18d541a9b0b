"""Import a user's order history from CSV (format: docs/backtest.md) into our event stream.

`read_history(path)` reads the file; `parse_history(text)` is the pure part: it checks every row,
collects every problem as "row N, column C: …" (row 1 is the header, like a spreadsheet), and
raises `HistoryError` listing them all — or returns a `Stream` the backtest replays like a
simulated one. Event ids are derived from the order id, so an import is reproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.contracts import Envelope, new_envelope
from services.common.contracts.orders import Address, Customer, Money, OrderPlaced, OrderPlacedEvent
from services.common.contracts.shipments import ShipmentLabelCreated, ShipmentLabelCreatedEvent
from services.common.contracts.tracking import EstimatedDelivery, TrackingUpdated, TrackingUpdatedEvent
from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.truth import Failure, OrderTruth, Stream

REQUIRED = ("order_id", "placed_at", "promised_by", "paid_service")
COLUMNS = (
    "record", *REQUIRED, "carrier", "label_service", "shipped_at", "delivered_at", "destination_tz",
    "destination_country", "destination_region", "tracking_number", "scan_at", "scan_status", "scan_estimate",
    "scan_reason", "scan_description",
)  # fmt: skip
NAMESPACE = uuid.UUID("6f1c3a52-41f4-4d6e-9d0c-8a0f6a5b7e21")
MAX_REPORTED = 50


class HistoryError(ValueError):
    """The CSV has bad rows; `problems` lists each as 'row N, column C: what is wrong'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = f"\n… and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"{len(problems)} problem(s) in the history CSV:\n" + "\n".join(shown) + more)

    def __reduce__(self) -> tuple[Any, ...]:
        return HistoryError, (self.problems,)  # pickled whole: `Spool.write_apart` hands it to the parent


@dataclass
class _Order:
    row: int
    order_id: str
    placed_at: dt.datetime
    promised_by: dt.datetime
    paid: ServiceLevel
    destination_tz: str
    destination_country: str = "US"
    destination_region: str | None = None
    carrier: str | None = None
    label_service: str | None = None
    tracking_number: str | None = None
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    scans: list[dict[str, Any]] = field(default_factory=list)


class _Row:
    """One CSV row with its number, collecting problems as it is read."""

    def __init__(self, number: int, values: dict[str, str], problems: list[str]) -> None:
        self.number, self.values, self.problems = number, values, problems

    def problem(self, column: str, message: str) -> None:
        self.problems.append(f"row {self.number}, column {column}: {message}")

    def text(self, column: str, required: bool = False) -> str | None:
        value = (self.values.get(column) or "").strip()
        if not value and required:
            self.problem(column, "is required")
        return value or None

    def instant(self, column: str, required: bool = False) -> dt.datetime | None:
        value = self.text(column, required)
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            self.problem(column, f"not an ISO 8601 date-time: {value!r}")
            return None
        if parsed.tzinfo is None:
            self.problem(column, f"needs a UTC offset (e.g. 2026-11-18T14:00:00-06:00): {value!r}")
            return None
        return parsed

    def choice(self, column: str, kind: type, required: bool = False) -> Any:
        value = self.text(column, required)
        if value is None:
            return None
        try:
            return kind(value if kind is ServiceLevel else value.lower())
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.problem(column, f"unknown value {value!r}; expected one of: {allowed}")
            return None

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problem(column, f"not an ISO 8601 date (YYYY-MM-DD): {value!r}")
            return None

    def zone(self, column: str, default: str) -> str:
        value = self.text(column) or default
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(column, f"unknown IANA time zone: {value!r}")
            return default
        return value


def read_history(path: Path, origin_tz: str = "America/Chicago", into: Spool | None = None) -> Stream:
    """Read and convert a history CSV file (UTF-8, header row first)."""
    return parse_history(path.read_text(encoding="utf-8-sig"), origin_tz, source=str(path), into=into)


def parse_history(
    text: str, origin_tz: str = "America/Chicago", source: str = "<csv>", into: Spool | None = None
) -> Stream:
    """Validate every row and convert the history into an event stream with outcomes as ground truth;
    the events are written to `into` (closed here) when given, instead of held in a list."""
    reader = csv.DictReader(io.StringIO(text))
    problems: list[str] = []
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise HistoryError([f"row 1, column {column}: missing from the header" for column in missing])
    unknown = [column for column in header if column not in COLUMNS]
    problems += [f"row 1, column {column}: unknown column (see docs/backtest.md)" for column in unknown]
    orders: dict[str, _Order] = {}
    scans: dict[str, list[tuple[_Row, dict[str, Any]]]] = defaultdict(list)
    for number, values in enumerate(reader, start=2):
        row = _Row(number, {key.strip(): value for key, value in values.items() if key}, problems)
        kind = (row.text("record") or "order").lower()
        if kind == "order":
            _read_order(row, orders, origin_tz)
        elif kind == "scan":
            _read_scan(row, scans)
        else:
            row.problem("record", f"must be 'order' or 'scan', got {kind!r}")
    _attach_scans(orders, scans)
    if problems:
        raise HistoryError(problems)
    return _stream(orders, origin_tz, source, into)


def _read_order(row: _Row, orders: dict[str, _Order], origin_tz: str) -> None:
    order_id = row.text("order_id", required=True)
    placed_at, promised_by = row.instant("placed_at", True), row.instant("promised_by", True)
    paid = row.choice("paid_service", ServiceLevel, True)
    carrier, label_service = row.text("carrier"), row.text("label_service")
    shipped_at, delivered_at = row.instant("shipped_at"), row.instant("delivered_at")
    if label_service and not carrier:
        row.problem("carrier", "is required when label_service is given")
    if label_service and not shipped_at:
        row.problem("shipped_at", "is required when label_service is given")
    if placed_at and promised_by and promised_by < placed_at:
        row.problem("promised_by", "is before placed_at")
    if delivered_at and shipped_at and delivered_at < shipped_at:
        row.problem("delivered_at", "is before shipped_at")
    if delivered_at and not label_service:
        row.problem("label_service", "is required when delivered_at is given")
    zone = row.zone("destination_tz", origin_tz)
    country = (row.text("destination_country") or "US").upper()
    if len(country) != 2 or not country.isalpha():
        row.problem("destination_country", f"not an ISO 3166 alpha-2 code: {country!r}")
    if order_id and order_id in orders:
        row.problem("order_id", f"duplicate order (first on row {orders[order_id].row})")
        return
    if order_id is None or placed_at is None or promised_by is None or paid is None:
        return
    orders[order_id] = _Order(
        row.number, order_id, placed_at, promised_by, paid, zone, country, row.text("destination_region"),
        carrier and carrier.lower(), label_service, row.text("tracking_number"), shipped_at, delivered_at,
    )  # fmt: skip


def _read_scan(row: _Row, scans: dict[str, list[tuple[_Row, dict[str, Any]]]]) -> None:
    order_id = row.text("order_id", required=True)
    at = row.instant("scan_at", required=True)
    status = row.choice("scan_status", TrackingStatus, required=True)
    reason = row.choice("scan_reason", ExceptionReason)
    estimate = row.date("scan_estimate")
    if order_id and at and status:
        scan = {"at": at, "status": status, "reason": reason, "estimate": estimate}
        scan["description"] = row.text("scan_description")
        scans[order_id].append((row, scan))


def _attach_scans(orders: dict[str, _Order], scans: dict[str, list[tuple[_Row, dict[str, Any]]]]) -> None:
    for order_id, rows in scans.items():
        order = orders.get(order_id)
        for row, scan in rows:
            if order is None:
                row.problem("order_id", f"scan for an order with no valid order row: {order_id!r}")
            elif order.label_service is None:
                row.problem("order_id", f"scan for order {order_id!r}, which has no label_service")
            else:
                order.scans.append(scan)


def _event_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "|".join(str(part) for part in parts))


def _stream(orders: dict[str, _Order], origin_tz: str, source: str, into: Spool | None) -> Stream:
    events: list[Envelope[Any]] = []
    truths: dict[str, OrderTruth] = {}
    for order in orders.values():
        # The spool breaks ties of event time by this emission order, as the stable sort below does.
        (events if into is None else into).extend(_events(order))
        scanned = [scan["at"] for scan in order.scans if scan["status"] is TrackingStatus.DELIVERED]
        delivered_at = order.delivered_at or min(scanned, default=None)
        truth = OrderTruth(
            order.order_id, order.promised_by, delivered_at, Failure.UNKNOWN, origin_tz, order.destination_tz,
            True, order.shipped_at, order.placed_at,
        )  # fmt: skip
        if into is None:
            truths[order.order_id] = truth
        else:
            into.add_truth(truth)
    events.sort(key=lambda event: event.occurred_at)
    scan_rows = sum(len(order.scans) for order in orders.values())
    description = {"kind": "import", "source": source, "orders": len(orders), "scan_rows": scan_rows}
    if into is not None:
        into.close()
        return Stream(into, None, origin_tz, description)
    return Stream(events, truths, origin_tz, description)


def _events(order: _Order) -> list[Envelope[Any]]:
    placed = OrderPlaced(
        order_id=order.order_id,
        customer=Customer(customer_id=f"import-{order.order_id}"),
        order_value=Money(amount=Decimal(0), currency="USD"),
        placed_at=order.placed_at,
        destination=Address(
            postal_code="00000",
            country=order.destination_country,
            region=order.destination_region,
            time_zone=order.destination_tz,
        ),
        paid_service_level=order.paid,
        promised_by=order.promised_by,
    )
    events: list[Envelope[Any]] = [_envelope(OrderPlacedEvent, placed, order.placed_at, order.order_id, "placed")]
    if order.label_service is None or order.shipped_at is None or order.carrier is None:
        return events
    tracking = order.tracking_number or f"{order.order_id}-T1"
    label = ShipmentLabelCreated(
        order_id=order.order_id, shipment_id=f"{order.order_id}-S1", carrier=order.carrier, tracking_number=tracking,
        label_service_code=order.label_service, label_created_at=order.shipped_at,
    )  # fmt: skip
    events.append(_envelope(ShipmentLabelCreatedEvent, label, order.shipped_at, order.order_id, "label"))
    for index, scan in enumerate(_scans_of(order)):
        payload = TrackingUpdated(
            source="import", carrier=order.carrier, tracking_number=tracking, status=scan["status"],
            exception_reason=scan.get("reason"), description=scan.get("description"),
            event_time=scan["at"].astimezone(dt.UTC),
            estimated_delivery=EstimatedDelivery(date=scan["estimate"]) if scan.get("estimate") else None,
        )  # fmt: skip
        events.append(_envelope(TrackingUpdatedEvent, payload, scan["at"], order.order_id, f"scan{index}"))
    return events


def _scans_of(order: _Order) -> list[dict[str, Any]]:
    """The given scans; without any, an acceptance at shipped_at. Plus the delivery when not scanned."""
    scans = list(order.scans) or [{"at": order.shipped_at, "status": TrackingStatus.ACCEPTED}]
    delivered = any(scan["status"] is TrackingStatus.DELIVERED for scan in scans)
    if order.delivered_at is not None and not delivered:
        scans.append({"at": order.delivered_at, "status": TrackingStatus.DELIVERED})
    return sorted(scans, key=lambda scan: scan["at"])


def _envelope(kind: type[Envelope[Any]], payload: Any, at: dt.datetime, order_id: str, what: str) -> Envelope[Any]:
    return new_envelope(
        kind, payload, occurred_at=at, produced_at=at, producer="history-import", event_id=_event_id(order_id, what)
    )
