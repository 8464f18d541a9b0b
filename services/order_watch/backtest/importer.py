"""Import a user's order history from CSV (format: docs/backtest.md) into our event stream.

`read_history(path)` reads the file; `parse_history(text)` the same held as text. Both read the CSV
twice and hold neither it nor its rows: the first reading checks every row, collects every problem
as "row N, column C: …" (row 1 is the header, like a spreadsheet) and notes per order what its
rows say; the second, when nothing was wrong, turns each row into its events as it is read — into
a spool (`Spool`) for `ow-backtest`, or a list. It raises `HistoryError` listing every problem, or
returns a `Stream` the backtest replays like a simulated one. Event ids are derived from the order
id and the row (or what a made-up scan stands for), so importing the same file is reproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
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
    order_id: str
    placed_at: dt.datetime | None
    promised_by: dt.datetime | None
    paid: ServiceLevel | None
    destination_tz: str
    destination_country: str = "US"
    destination_region: str | None = None
    carrier: str | None = None
    label_service: str | None = None
    tracking_number: str | None = None
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class _Scan:
    order_id: str
    at: dt.datetime
    status: TrackingStatus
    reason: ExceptionReason | None = None
    estimate: dt.date | None = None
    description: str | None = None


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


Opener = Callable[[], AbstractContextManager[Iterable[str]]]
"""Opens the CSV afresh: an import reads it twice (checking, then converting), holding neither whole."""


def read_history(path: Path, origin_tz: str = "America/Chicago", into: Spool | None = None) -> Stream:
    """Read and convert a history CSV file (UTF-8, header row first)."""
    return import_history(lambda: path.open(encoding="utf-8-sig", newline=""), origin_tz, str(path), into)


def parse_history(
    text: str, origin_tz: str = "America/Chicago", source: str = "<csv>", into: Spool | None = None
) -> Stream:
    """`import_history` over a CSV held as text."""
    return import_history(lambda: nullcontext(io.StringIO(text)), origin_tz, source, into)


def import_history(open_csv: Opener, origin_tz: str, source: str, into: Spool | None = None) -> Stream:
    """Validate every row and convert the history into an event stream with outcomes as ground truth;
    the events are written to `into` (closed here) when given, instead of held in a list.

    Two readings, so that memory follows the number of orders, never the rows: the first checks
    every row and notes per order what converting its rows needs (`_Known`); the second, only when
    nothing was wrong, turns each row into its events as it is read.
    """
    problems: list[str] = []
    known = _check(open_csv, origin_tz, problems)
    if problems:
        raise HistoryError(problems)
    return _convert(open_csv, known, origin_tz, source, into)


@dataclass(slots=True)
class _Known:
    """What the first reading learned of an order id: its order row and what its scan rows say."""

    row: int | None = None
    """the order row's number; None: no valid order row (yet)"""
    carrier: str | None = None
    tracking_number: str | None = None
    labelled: bool = False
    scans: int = 0
    first_delivered: dt.datetime | None = None
    """the earliest delivery scan, which is when it was delivered if the order row does not say"""


def _rows(open_csv: Opener, problems: list[str]) -> Iterator[tuple[str, _Row]]:
    """Each data row with its kind (`order`, `scan`, or what the row says instead)."""
    with open_csv() as lines:
        reader = csv.DictReader(lines)
        for number, values in enumerate(reader, start=2):
            row = _Row(number, {key.strip(): value for key, value in values.items() if key}, problems)
            yield (row.text("record") or "order").lower(), row


def _check(open_csv: Opener, origin_tz: str, problems: list[str]) -> dict[str, _Known]:
    """The first reading: every problem of every row, and what each order id's rows say."""
    with open_csv() as lines:
        header = [name.strip() for name in csv.DictReader(lines).fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise HistoryError([f"row 1, column {column}: missing from the header" for column in missing])
    unknown = [column for column in header if column not in COLUMNS]
    problems += [f"row 1, column {column}: unknown column (see docs/backtest.md)" for column in unknown]
    known: dict[str, _Known] = {}
    for kind, row in _rows(open_csv, problems):
        if kind == "order":
            _note_order(row, _read_order(row, origin_tz), known)
        elif kind == "scan":
            _note_scan(_read_scan(row), known)
        else:
            row.problem("record", f"must be 'order' or 'scan', got {kind!r}")
    if any(_orphaned(entry) for entry in known.values()):
        # Rare, and only a problem report: read once more for the rows of the scans that cannot attach.
        for kind, row in _rows(open_csv, []):
            scan = _read_scan(row) if kind == "scan" else None
            entry = known.get(scan.order_id) if scan else None
            if scan is not None and entry is not None and _orphaned(entry):
                row.problems = problems  # read again for this problem alone: the row's others are noted
                if entry.row is None:
                    row.problem("order_id", f"scan for an order with no valid order row: {scan.order_id!r}")
                else:
                    row.problem("order_id", f"scan for order {scan.order_id!r}, which has no label_service")
    return known


def _orphaned(entry: _Known) -> bool:
    return entry.scans > 0 and (entry.row is None or not entry.labelled)


def _note_order(row: _Row, order: _Order | None, known: dict[str, _Known]) -> None:
    if order is None:
        return
    entry = known.setdefault(order.order_id, _Known())
    if entry.row is not None:
        row.problem("order_id", f"duplicate order (first on row {entry.row})")
        return
    if order.placed_at is None or order.promised_by is None or order.paid is None:
        return
    entry.row, entry.carrier, entry.labelled = row.number, order.carrier, order.label_service is not None
    entry.tracking_number = order.tracking_number or f"{order.order_id}-T1"


def _note_scan(scan: _Scan | None, known: dict[str, _Known]) -> None:
    if scan is None:
        return
    entry = known.setdefault(scan.order_id, _Known())
    entry.scans += 1
    if scan.status is TrackingStatus.DELIVERED and (entry.first_delivered is None or scan.at < entry.first_delivered):
        entry.first_delivered = scan.at


def _convert(open_csv: Opener, known: dict[str, _Known], origin_tz: str, source: str, into: Spool | None) -> Stream:
    """The second reading: each row's events, in the order of the rows (the spool, or the stable
    sort below, breaks ties of event time by it), and each order's truth."""
    events: list[Envelope[Any]] = []
    add = events.append if into is None else into.add
    truths: dict[str, OrderTruth] = {}
    for kind, row in _rows(open_csv, []):
        if kind == "scan":
            scan = _read_scan(row)
            assert scan is not None, "checked by the first reading"
            add(_scan_event(scan, known[scan.order_id], row.number))
            continue
        order = _read_order(row, origin_tz)
        assert order is not None and known[order.order_id].row == row.number, "checked by the first reading"
        entry = known[order.order_id]
        for event in _order_events(order, entry):
            add(event)
        truth = OrderTruth(
            order.order_id, order.promised_by, order.delivered_at or entry.first_delivered, Failure.UNKNOWN,
            origin_tz, order.destination_tz, True, order.shipped_at, order.placed_at,
        )  # fmt: skip
        if into is None:
            truths[order.order_id] = truth
        else:
            into.add_truth(truth)
    events.sort(key=lambda event: event.occurred_at)
    orders = [entry for entry in known.values() if entry.row is not None]
    description = {
        "kind": "import", "source": source, "orders": len(orders), "scan_rows": sum(e.scans for e in orders),
    }  # fmt: skip
    if into is not None:
        into.close()
        return Stream(into, None, origin_tz, description)
    return Stream(events, truths, origin_tz, description)


def _read_order(row: _Row, origin_tz: str) -> _Order | None:
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
    if order_id is None:
        return None
    return _Order(
        order_id, placed_at, promised_by, paid, zone, country, row.text("destination_region"),
        carrier and carrier.lower(), label_service, row.text("tracking_number"), shipped_at, delivered_at,
    )  # fmt: skip


def _read_scan(row: _Row) -> _Scan | None:
    order_id = row.text("order_id", required=True)
    at = row.instant("scan_at", required=True)
    status = row.choice("scan_status", TrackingStatus, required=True)
    reason = row.choice("scan_reason", ExceptionReason)
    estimate = row.date("scan_estimate")
    if order_id and at and status:
        return _Scan(order_id, at, status, reason, estimate, row.text("scan_description"))
    return None


def _event_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "|".join(str(part) for part in parts))


def _order_events(order: _Order, known: _Known) -> list[Envelope[Any]]:
    """The order's placed event; with a label, the label, and the scans its scan rows do not give:
    without any, an acceptance at shipped_at; without a delivery scan, the delivery at delivered_at."""
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
    label = ShipmentLabelCreated(
        order_id=order.order_id, shipment_id=f"{order.order_id}-S1", carrier=order.carrier,
        tracking_number=known.tracking_number, label_service_code=order.label_service,
        label_created_at=order.shipped_at,
    )  # fmt: skip
    events.append(_envelope(ShipmentLabelCreatedEvent, label, order.shipped_at, order.order_id, "label"))
    if known.scans == 0:
        events.append(_scan_event(_Scan(order.order_id, order.shipped_at, TrackingStatus.ACCEPTED), known, "accepted"))
    if order.delivered_at is not None and known.first_delivered is None:
        delivered = _Scan(order.order_id, order.delivered_at, TrackingStatus.DELIVERED)
        events.append(_scan_event(delivered, known, "delivered"))
    return events


def _scan_event(scan: _Scan, known: _Known, name: object) -> Envelope[Any]:
    """A scan of the order's parcel; `name` (its row number, or what it stands in for) makes its id."""
    assert known.carrier is not None and known.tracking_number is not None, "checked: only labelled orders scan"
    payload = TrackingUpdated(
        source="import", carrier=known.carrier, tracking_number=known.tracking_number, status=scan.status,
        exception_reason=scan.reason, description=scan.description, event_time=scan.at.astimezone(dt.UTC),
        estimated_delivery=EstimatedDelivery(date=scan.estimate) if scan.estimate else None,
    )  # fmt: skip
    return _envelope(TrackingUpdatedEvent, payload, scan.at, scan.order_id, f"scan{name}")


def _envelope(kind: type[Envelope[Any]], payload: Any, at: dt.datetime, order_id: str, what: str) -> Envelope[Any]:
    return new_envelope(
        kind, payload, occurred_at=at, produced_at=at, producer="history-import", event_id=_event_id(order_id, what)
    )
