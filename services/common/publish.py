"""`ow-publish`: send events from a JSON-lines file to their topics, validating every line.

Each line is one envelope. A line that does not validate against its topic's models is
reported by line number and not sent; the exit code is 1 if any line was bad. Events are reported
sent only once the broker acknowledged them into topics it lists (`ow-topics` creates them);
otherwise, like an unreachable broker, it is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from services.common.cli import run_command
from services.common.contracts import TOPICS, Envelope, decode_event
from services.common.contracts.topics import message_key, topic_for_event
from services.common.kafka import confirm_topics, make_producer
from services.common.settings import ServiceSettings


@dataclass(frozen=True)
class BadLine:
    line_number: int
    reason: str


def parse_lines(lines: Iterable[str], topic: str | None = None) -> tuple[list[Envelope[Any]], list[BadLine]]:
    """Validate each non-blank line; the topic is given or inferred from each line's event_type."""
    good: list[Envelope[Any]] = []
    bad: list[BadLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            good.append(decode_event(topic or _topic_of(line), line))
        except (ValidationError, ValueError, KeyError) as exc:
            bad.append(BadLine(number, _reason(exc)))
    return good, bad


def _topic_of(line: str) -> str:
    event_type = json.loads(line).get("event_type")
    try:
        return topic_for_event(str(event_type)).name
    except KeyError:
        raise ValueError(f"unknown event_type {event_type!r}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:5]
        )
    return str(exc)


async def send(settings: ServiceSettings, events: list[Envelope[Any]]) -> None:
    """Send events on a producer of their own (one-off callers such as `ow-publish`)."""
    producer = make_producer(settings)
    await producer.start()
    try:
        await publish(producer, settings, events)
    finally:
        await producer.stop()


async def publish(
    producer: AIOKafkaProducer, settings: ServiceSettings, events: list[Envelope[Any]], *, confirm: bool = True
) -> None:
    """Send events to their topics, keyed like every publisher, on a started producer; wait for every ack.

    As the outbox relay does, acks are not taken on their own: a broker that restarted empty acks
    into topics it creates on the fly, which no consumer reads. So the topics must be listed
    before sending (or the send would create them) and still be listed once acked. A load
    generator sending many small batches passes `confirm=False` and checks around its loop
    instead (two metadata requests per batch would be most of what it measures).
    """
    topics = {settings.topic(topic_for_event(event.event_type).name) for event in events}
    if confirm:
        await confirm_topics(producer, topics)
    pending = [
        await producer.send(
            settings.topic(topic_for_event(event.event_type).name),
            value=event.to_json_bytes(),
            key=message_key(event).encode(),
        )
        for event in events
    ]
    await asyncio.gather(*pending)
    if confirm:
        await confirm_topics(producer, topics)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ow-publish", description=__doc__)
    parser.add_argument("file", help="JSON-lines file of envelopes ('-' for standard input)")
    parser.add_argument("--topic", choices=sorted(TOPICS), help="topic of every line (default: from event_type)")
    parser.add_argument("--dry-run", action="store_true", help="validate only")
    args = parser.parse_args(argv)
    handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with handle:
        good, bad = parse_lines(handle, args.topic)
    for line in bad:
        print(f"line {line.line_number}: {line.reason}", file=sys.stderr)
    if good and not args.dry_run:
        run_command(parser.prog, ServiceSettings, lambda settings: asyncio.run(send(settings, good)))
    print(f"{'validated' if args.dry_run else 'sent'} {len(good)} event(s); {len(bad)} bad line(s) not sent")
    sys.exit(1 if bad else 0)
