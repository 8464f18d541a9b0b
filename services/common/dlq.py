"""Dead letters as an operator reads them: parsed, filtered, shown and prepared for replay. Pure.

`BatchConsumer.dead_letter` (kafka.py) writes a message it cannot use to `<topic>.dlq` with its
original key, value and headers, plus `dlq.reason`, `dlq.detail`, `dlq.source`
("topic:partition:offset") and `dlq.failed_at`. A dead letter is named by its topic (the
contract topic it failed on) and its place in `<topic>.dlq`, written `partition:offset`.
Reading the broker and re-publishing live in `dlq_commands`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from services.common.contracts import decode_event

HEADER_PREFIX = "dlq."
REPLAYED_FROM = "dlq.replayed_from"

Position = tuple[int, int]


def dead_letter_topic(topic: str) -> str:
    """The contract name of a topic's dead-letter topic."""
    return f"{topic}.dlq"


def parse_position(text: str) -> Position:
    """`"3:17"` → `(3, 17)`: a dead letter's partition and offset in its `.dlq` topic."""
    partition, sep, offset = text.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise ValueError(f"expected PARTITION:OFFSET such as 0:12, got {text!r}")
    return int(partition), int(offset)


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="backslashreplace")


@dataclass(frozen=True)
class DeadLetter:
    """One record of `<topic>.dlq`, with what the dead-lettering consumer wrote about it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_record(cls, topic: str, record: ConsumerRecord[Any, Any]) -> DeadLetter:
        """A record read from the dead-letter topic of contract topic `topic`."""
        return cls(topic, record.partition, record.offset, record.key, record.value, tuple(record.headers or ()))

    @property
    def position(self) -> Position:
        return self.partition, self.offset

    @property
    def name(self) -> str:
        """How commands name it: `orders.v1 3:17`."""
        return f"{self.topic} {self.partition}:{self.offset}"

    def header(self, name: str) -> str | None:
        """The last value of a header (the dead-lettering consumer appends its own last)."""
        values = [value for key, value in self.headers if key == name]
        return _text(values[-1]) if values else None

    @property
    def reason(self) -> str | None:
        return self.header("dlq.reason")

    @property
    def detail(self) -> str | None:
        return self.header("dlq.detail")

    @property
    def source(self) -> str | None:
        return self.header("dlq.source")

    @property
    def failed_at(self) -> str | None:
        return self.header("dlq.failed_at")

    @cached_property
    def envelope(self) -> dict[str, Any] | None:
        """The value as a JSON object, when it is one (an undecodable message may not be)."""
        try:
            parsed = json.loads(self.value or b"")
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    @property
    def event_id(self) -> str | None:
        return _field(self.envelope, "event_id")

    @property
    def event_type(self) -> str | None:
        return _field(self.envelope, "event_type")


def _field(envelope: dict[str, Any] | None, name: str) -> str | None:
    value = (envelope or {}).get(name)
    return str(value) if value is not None else None


@dataclass(frozen=True)
class Selection:
    """Which dead letters a command is about; an empty criterion matches everything."""

    topic: str | None = None
    reason: str | None = None
    positions: frozenset[Position] = field(default_factory=frozenset)

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (self.topic is None or letter.topic == self.topic)
            and (self.reason is None or letter.reason == self.reason)
            and (not self.positions or letter.position in self.positions)
        )

    def select(self, letters: Iterable[DeadLetter]) -> list[DeadLetter]:
        return [letter for letter in letters if self.matches(letter)]

    def missing(self, found: Iterable[DeadLetter]) -> list[Position]:
        """Positions asked for by name that are not among `found`."""
        present = {letter.position for letter in found}
        return sorted(self.positions - present)


LIST_COLUMNS = ("topic", "at", "reason", "failed_at", "event_type", "event_id", "source", "detail")


def list_row(letter: DeadLetter, detail_width: int = 100) -> tuple[str, ...]:
    """One line's cells; the detail is flattened to one line (validation errors span several)."""
    detail = " ".join((letter.detail or "").split())
    if len(detail) > detail_width:
        detail = detail[: detail_width - 1] + "…"
    cells = (letter.topic, f"{letter.partition}:{letter.offset}", letter.reason, letter.failed_at)
    return tuple(cell or "-" for cell in (*cells, letter.event_type, letter.event_id, letter.source, detail))


def list_lines(letters: Iterable[DeadLetter]) -> list[str]:
    """A table of dead letters, a header line then one line each, columns aligned."""
    rows = [tuple(column.upper() for column in LIST_COLUMNS), *(list_row(letter) for letter in letters)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(LIST_COLUMNS) - 1)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]


def show_text(letter: DeadLetter) -> str:
    """A dead letter in full as pretty JSON: where it is, its key, every header, its value."""
    document = {
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "key": _text(letter.key),
        "headers": _header_document(letter.headers),
        "value": letter.envelope if letter.envelope is not None else _text(letter.value),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _header_document(headers: Iterable[tuple[str, bytes]]) -> dict[str, Any]:
    """Headers by name; a name given more than once keeps every value, in order."""
    document: dict[str, Any] = {}
    for name, raw in headers:
        value = _text(raw)
        if name not in document:
            document[name] = value
        elif isinstance(document[name], list):
            document[name].append(value)
        else:
            document[name] = [document[name], value]
    return document


def replay_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The original headers, with where the replay came from instead of the old failure's headers.

    Dropping every `dlq.*` header keeps a message that fails again from carrying two reasons.
    """
    kept = [(name, value) for name, value in letter.headers if not name.startswith(HEADER_PREFIX)]
    origin = f"{dead_letter_topic(letter.topic)}:{letter.partition}:{letter.offset}"
    return [*kept, (REPLAYED_FROM, origin.encode())]


def replay_refusal(letter: DeadLetter) -> str | None:
    """Why this dead letter would only be dead-lettered again, or None if it is worth replaying.

    A message this version still cannot decode would go straight back to the DLQ: it waits for
    the release that reads it. One that decodes but failed to apply may succeed after a fix.
    """
    try:
        decode_event(letter.topic, letter.value or b"")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        return f"still undecodable: {where}: {first['msg']}"
    except ValueError as exc:
        return f"still undecodable: {exc}"
    return None
