"""The event stream off the heap: sorted runs on disk, merged back in (event time, emission) order.

A history of a million orders is some thirteen million envelopes of ~3.7 KB each on the heap, so
`ow-backtest` writes the stream to a `Spool` as the simulator or the importer emits it, and reads
it back merged (docs/backtest.md, *Throughput and memory*):

* each event is encoded at once (a pickle of about 0.8 KB) and buffered with its position — its
  event time in microseconds, then its emission number — which is exactly the order the simulator
  sorts its list by, and the stable sort of the importer; a full buffer is sorted and written as
  one run per part, and reading merges the runs (`heapq.merge`) on that position;
* the stream is split by order as it is written (`part_of`, the rule of
  `partition.partition_stream`): an order's events and every scan of a tracking number its labels name go to
  its part, and a forked worker reads only its part's runs. A scan whose tracking number no label
  has named yet goes to the first part; a label that names a tracking number already scanned in
  other parts (two orders shipped on one number, labelled late) has those earlier scans copied into
  its part when the spool is closed, so every part holds what `partition_stream` would give it;
* while it is written the spool notes what the replay used to learn from the whole list: each
  order's last event (its own, or a scan of a tracking number it was shipped on — what
  `replay.last_touches` finds), the instants orders were placed, the first and last event, and the
  scan counts. The last events become *finish markers* in the runs, right behind the event they
  follow, so a replay reading a part forgets each order at the same moment as one over a list;
* an order's ground truth (`add_truth`) is written to its part at the instant it was placed, so a
  replay holds it only while the order is in flight and scores it when it forgets the order
  (`replay.Scoring`): the history's truths are never all on the heap.

`write_apart` writes the spool in a forked process and hands this one only what reading needs: the
notes and buffers of writing (a million orders' last events and tracking numbers) never reach the
heap that the replay's workers later fork from.

The runs live in a temporary directory the spool removes when closed (or when it is collected).
It is read in the process that wrote it, or in workers forked after it was closed: the encoded
events refer by number to the classes, enum members and time zones the writer met
(`_Constants`), which a forked worker inherits.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import marshal
import multiprocessing
import pickle
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from operator import itemgetter
from pathlib import Path
from types import FunctionType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.common.contracts import Envelope
from services.order_watch.backtest.truth import OrderTruth
from services.order_watch.orders.flows import carrier_key

# Events buffered (over all parts) before they are sorted and written: ~50 MB of encoded events,
# and a run per part per 50,000 events (260 per part at a million orders).
RUN_RECORDS = 50_000
# Records per marshal frame: what a reader holds of each run at once (~64 KB; 260 runs, ~17 MB).
FRAME_RECORDS = 64
_SEQ_BITS = 32  # emission numbers below 2**32: four billion events
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

TrackingKey = tuple[str, str]
# (position, encoded event, or at an odd position the id of the order a marker finishes or an
# encoded truth; the tracking key of a scan or None)
Record = tuple[int, Any, TrackingKey | None]
Batch = tuple[list[Envelope[Any]], list[str]]
T = TypeVar("T")
# What a spool forked to be written keeps to itself: its directory (the parent's) and its codec's pickler.
_LOCAL = ("_directory", "_codec")


def part_of(order_id: str, parts: int) -> int:
    """A stable part for an order (the same in every process and run, unlike `hash`)."""
    return zlib.crc32(order_id.encode()) % parts


def position(at: dt.datetime, seq: int, marker: bool = False) -> int:
    """The sort key of an event: its instant to the microsecond, then its emission number; a finish
    marker sorts right behind the event it follows."""
    micros = (at - _EPOCH) // _MICROSECOND
    return (micros << (_SEQ_BITS + 1)) + (seq << 1) + int(marker)


def instant_of(at: int) -> int:
    """The event time (in microseconds) of a position: events of one instant are one batch."""
    return at >> (_SEQ_BITS + 1)


class _Track:
    """What the spool knows of one tracking number while it is written."""

    __slots__ = ("last_scan", "mask", "orders")

    def __init__(self) -> None:
        self.mask = 0  # the parts of the orders whose labels name it
        self.last_scan: int | None = None  # the position of its latest scan so far
        self.orders: tuple[str, ...] = ()


class Spool:
    """A stream written event by event (`add`, then `close`) and read back as same-instant batches."""

    def __init__(self, parts: int = 1, directory: Path | None = None, run_records: int = RUN_RECORDS) -> None:
        self.parts = max(1, parts)
        self.events = 0
        self.truths = 0
        self.scans = 0
        self.estimates = 0
        self.placed: list[dt.datetime] = []
        """When each order was placed, one instant per order.placed event (`learn.placed_instants`): a
        list, not a map by order, since the split needs only the instants (and a million orders' ids
        would be held for nothing)."""
        self.first_at: dt.datetime | None = None
        """The first event's time (the first in stream order)."""
        self.last_at: dt.datetime | None = None
        """The latest event time (the first event in stream order at that instant, as `max` finds it)."""
        self._first = self._last_position = -1
        self._directory = tempfile.TemporaryDirectory(prefix="ow-backtest-spool-", dir=directory)
        self._run_records = run_records
        self._runs: list[list[Path]] = [[] for _ in range(self.parts)]
        self._buffers: list[list[Record]] = [[] for _ in range(self.parts)]
        self._buffered = 0
        self._codec = _Codec()
        self._last_touch: dict[str, int] = {}
        self._tracks: dict[TrackingKey, _Track] = {}
        self._late: list[set[TrackingKey]] = [set() for _ in range(self.parts)]
        self._closed = False

    def __len__(self) -> int:
        return self.events

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def remove(self) -> None:
        """Delete the runs."""
        self._directory.cleanup()

    def extend(self, events: Iterable[Envelope[Any]]) -> None:
        for event in events:
            self.add(event)

    def add(self, event: Envelope[Any]) -> None:
        """Append an event (in emission order: any order of event times)."""
        if self._closed:
            raise RuntimeError("the spool is closed")
        seq, at = self.events, event.occurred_at
        self.events += 1
        here = position(at, seq)
        self._note_bounds(at, here)
        blob = self._codec.encode(event)
        payload = event.payload
        if event.event_type == "tracking.updated":
            self._add_scan(here, blob, (carrier_key(payload.carrier), payload.tracking_number), payload)
        else:
            self._add_order_event(here, blob, event)
        if self._buffered >= self._run_records:
            self._flush()

    def write_apart(self, write: Callable[[Spool], T]) -> T:
        """`write(self)`, which must close the spool, run in a forked process; its result (pickled
        back, so keep it small) and the closed spool's state come back here, where the spool then
        reads as if written here. Where fork is unavailable, `write(self)` runs in this process."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return write(self)
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        writer = context.Process(target=self._write_and_send, args=(write, send), daemon=True)
        writer.start()
        send.close()
        try:
            failed, result, state = receive.recv()
        except EOFError:
            writer.join()
            raise RuntimeError(f"the process writing the spool died (exit code {writer.exitcode})") from None
        writer.join()
        if failed:
            raise result
        self._codec = _Codec(state.pop("constants"))
        vars(self).update(state)
        return result

    def _write_and_send(self, write: Callable[[Spool], T], send: Any) -> None:
        try:
            result = write(self)
        except Exception as error:  # handed to the parent, which raises it
            send.send((True, error, {}))
            return
        if not self._closed:
            send.send((True, RuntimeError("write_apart: the spool was not closed"), {}))
            return
        state = {name: value for name, value in vars(self).items() if name not in _LOCAL}
        send.send((False, result, {**state, "constants": self._codec.constants.objects}))

    def add_truth(self, truth: OrderTruth) -> None:
        """Note an order's ground truth: read back at the instant it was placed (its order.placed event's)."""
        if truth.placed_at is None:
            raise ValueError(f"the truth of order {truth.order_id} says not when it was placed")
        self.truths += 1
        # Odd, like a finish marker, and first among the instant's records: seq 0.
        record = (position(truth.placed_at, 0, True), self._codec.encode(truth), None)
        self._buffer(part_of(truth.order_id, self.parts), record)
        if self._buffered >= self._run_records:
            self._flush()

    def close(self) -> None:
        """Write the last runs, the earlier scans a late label needs, and the finish markers."""
        if self._closed:
            return
        self._flush()
        self._copy_earlier_scans()
        self._tracks = {}  # only routing and last events needed them
        last_touch, self._last_touch = self._last_touch, {}
        for order_id, at in last_touch.items():
            self._buffer(part_of(order_id, self.parts), (at + 1, order_id, None))
            if self._buffered >= self._run_records:
                self._flush()
        self._flush()
        self._closed = True

    def batches(
        self, parts: Iterable[int] | None = None, truths: dict[str, OrderTruth] | None = None
    ) -> Iterator[Batch]:
        """The events of `parts` (default: all) merged in stream order, as same-instant batches,
        each with the orders whose last event is in it. A scan held by two parts comes once.
        `truths`: the orders' truths are put there as they are read (before their order's events)."""
        if not self._closed:
            raise RuntimeError("close the spool before reading it")
        chosen = range(self.parts) if parts is None else parts
        runs = [_read_run(path) for part in chosen for path in self._runs[part]]
        batch: list[Envelope[Any]] = []
        finishing: list[str] = []
        instant = previous = None
        decode = self._codec.decode
        for at, payload, _ in heapq.merge(*runs, key=itemgetter(0)):
            if at == previous and not at & 1:
                continue  # one scan routed to two of the chosen parts (markers may share a position)
            previous = at
            if instant_of(at) != instant:
                if batch or finishing:
                    yield batch, finishing
                    batch, finishing = [], []
                instant = instant_of(at)
            if not at & 1:
                batch.append(decode(payload))
            elif type(payload) is str:
                finishing.append(payload)
            elif truths is not None:
                truth = decode(payload)
                truths[truth.order_id] = truth
        if batch or finishing:
            yield batch, finishing

    def _note_bounds(self, at: dt.datetime, here: int) -> None:
        if self.first_at is None or here < self._first:
            self.first_at, self._first = at, here
        # `max` keeps the first maximal event in stream order: the latest instant, the earliest emission.
        if self.last_at is None or at > self.last_at or (at == self.last_at and here < self._last_position):
            self.last_at, self._last_position = at, here

    def _add_scan(self, here: int, blob: bytes, key: TrackingKey, payload: Any) -> None:
        self.scans += 1
        self.estimates += payload.estimated_delivery is not None
        track = self._tracks.get(key)
        if track is None:
            track = self._tracks[key] = _Track()
        track.last_scan = here if track.last_scan is None else max(track.last_scan, here)
        for order_id in track.orders:
            self._touch(order_id, here)
        if track.mask == 0:
            self._buffer(0, (here, blob, key))  # no label names it (yet): partition_stream's first part
            return
        for part in range(self.parts):
            if track.mask >> part & 1:
                self._buffer(part, (here, blob, key))

    def _add_order_event(self, here: int, blob: bytes, event: Envelope[Any]) -> None:
        order_id = event.payload.order_id
        part = part_of(order_id, self.parts)
        if event.event_type == "order.placed":
            self.placed.append(event.occurred_at)
        self._touch(order_id, here)
        if event.event_type == "shipment.label_created":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            track = self._tracks.get(key)
            if track is None:
                track = self._tracks[key] = _Track()
            if track.last_scan is not None:
                self._touch(order_id, track.last_scan)
                if not track.mask >> part & 1:
                    self._late[part].add(key)  # its earlier scans went to other parts (or the first)
            track.mask |= 1 << part
            if order_id not in track.orders:
                track.orders = (*track.orders, order_id)
        self._buffer(part, (here, blob, None))

    def _touch(self, order_id: str, at: int) -> None:
        last = self._last_touch.get(order_id)
        if last is None or at > last:
            self._last_touch[order_id] = at

    def _buffer(self, part: int, record: Record) -> None:
        self._buffers[part].append(record)
        self._buffered += 1

    def _flush(self) -> None:
        for part, records in enumerate(self._buffers):
            if records:
                records.sort(key=itemgetter(0))
                self._write_run(part, records)
        self._buffers = [[] for _ in range(self.parts)]
        self._buffered = 0

    def _write_run(self, part: int, records: list[Record]) -> None:
        path = Path(self._directory.name) / f"part{part}-run{len(self._runs[part])}"
        with path.open("wb") as file:
            for start in range(0, len(records), FRAME_RECORDS):
                marshal.dump(records[start : start + FRAME_RECORDS], file)
        self._runs[part].append(path)

    def _copy_earlier_scans(self) -> None:
        """Give each part the scans, written before one of its labels named their tracking number,
        that went to other parts: what `partition_stream` would have routed there."""
        for part, keys in enumerate(self._late):
            if not keys:
                continue
            held = {at for path in self._runs[part] for at, _, key in _read_run(path) if key in keys}
            missing: dict[int, Record] = {}
            for other in range(self.parts):
                for path in self._runs[other] if other != part else ():
                    for record in _read_run(path):
                        if record[2] in keys and record[0] not in held:
                            missing[record[0]] = record
            if missing:
                self._write_run(part, sorted(missing.values(), key=itemgetter(0)))
        self._late = [set() for _ in range(self.parts)]


def _read_run(path: Path) -> Iterator[Record]:
    with path.open("rb") as file:
        while True:
            try:
                frame = marshal.load(file)
            except EOFError:
                return
            yield from frame


_CONSTANT_TYPES = (type, Enum, ZoneInfo, FunctionType)


class _Constants:
    """The classes, enum members, time zones and functions encoded events name, by number: a pickle
    of an envelope then carries a small number instead of a module path for each (faster to load,
    a third smaller)."""

    def __init__(self, objects: list[Any] | None = None) -> None:
        self.objects: list[Any] = objects or [dt.UTC]
        self.numbers: dict[tuple[type, Any], int] = {(type(obj), obj): n for n, obj in enumerate(self.objects)}

    def number(self, obj: Any) -> int | None:
        if obj is not dt.UTC and not isinstance(obj, _CONSTANT_TYPES):
            return None
        # By type and value: a StrEnum member equals its string, which is no constant.
        key = (type(obj), obj)
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = len(self.objects)
            self.objects.append(obj)
        return number


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, constants: _Constants) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.constants = constants

    def persistent_id(self, obj: Any) -> int | None:
        return self.constants.number(obj)

    def reducer_override(self, obj: Any) -> Any:
        # pydantic's own pickling goes through a state dict and a Python __setstate__ per model;
        # a frozen contract model is its field dict and the names that were set.
        if isinstance(obj, BaseModel) and obj.__pydantic_extra__ is None and obj.__pydantic_private__ is None:
            return _model, (type(obj), obj.__dict__, obj.__pydantic_fields_set__)
        if type(obj) is uuid.UUID and obj.is_safe is uuid.SafeUUID.unknown:
            return _uuid, (obj.int,)
        return NotImplemented


def _model(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str]) -> BaseModel:
    """A model from its fields as pickled, without validating them again (they were valid when written)."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def _uuid(value: int) -> uuid.UUID:
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


class _Codec:
    """Envelopes to bytes and back, exactly: the same objects, time zones included (a JSON round
    trip would turn each zone into a fixed offset)."""

    def __init__(self, constants: list[Any] | None = None) -> None:
        self.constants = _Constants(constants)
        self._file = io.BytesIO()
        self._pickler = _Pickler(self._file, self.constants)

    def encode(self, event: Envelope[Any] | OrderTruth) -> bytes:
        self._file.seek(0)
        self._file.truncate()
        self._pickler.clear_memo()
        self._pickler.dump(event)
        return self._file.getvalue()

    def decode(self, blob: bytes) -> Any:
        unpickler = pickle.Unpickler(io.BytesIO(blob))
        # The list's own lookup, not a Python method: a fifth of the decoding time, once per constant.
        unpickler.persistent_load = self.constants.objects.__getitem__  # type: ignore[method-assign]
        return unpickler.load()
