"""`dlq list | show | replay`: read dead-letter topics from the broker and re-publish from them.

Replay re-sends a dead letter's key and value, unchanged, to its original topic, where the
consumer applies it like any delivery. It keeps no record of its own: every consumer records
each event id in the transaction of its effects (ARCHITECTURE §5.3), so a dead letter replayed
twice, or one that was applied after all, is skipped there — rerunning a replay cannot apply
anything twice. What this version still cannot decode is not sent (it would only come back).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.common.contracts import TOPICS
from services.common.dlq import (
    DeadLetter,
    Position,
    Selection,
    dead_letter_topic,
    list_lines,
    parse_position,
    replay_headers,
    replay_refusal,
    show_text,
)
from services.common.kafka import confirm_topics, make_consumer, make_producer
from services.common.settings import ServiceSettings

# The reader assigns partitions itself and never commits: the group only names it to the broker.
READER_GROUP = "dlq-reader"
FETCH_TIMEOUT_MS = 10_000


async def read_dead_letters(settings: ServiceSettings, topics: Iterable[str] = TOPICS) -> list[DeadLetter]:
    """Every record now in the dead-letter topics of `topics`, oldest failure first."""
    contract_of = {settings.topic(dead_letter_topic(topic)): topic for topic in topics}
    consumer = make_consumer(settings, READER_GROUP)
    await consumer.start()
    try:
        existing = await consumer.topics()
        partitions = [
            TopicPartition(name, partition)
            for name in sorted(contract_of.keys() & existing)
            for partition in sorted(consumer.partitions_for_topic(name) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = await _read_to(consumer, ends)
    finally:
        await consumer.stop()
    letters = [DeadLetter.from_record(contract_of[record.topic], record) for record in records]
    return sorted(letters, key=lambda letter: (letter.failed_at or "", letter.topic, letter.position))


async def _read_to(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[ConsumerRecord[bytes, bytes]]:
    """Read each partition up to its end offset as it was when reading began."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    pending = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=FETCH_TIMEOUT_MS)
        if not batch:
            names = ", ".join(sorted(f"{tp.topic}:{tp.partition}" for tp in pending))
            raise TimeoutError(f"the broker sent nothing for {FETCH_TIMEOUT_MS} ms while reading {names}")
        for tp, part in batch.items():
            records.extend(record for record in part if record.offset < ends[tp])
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
    return records


@dataclass(frozen=True)
class ReplayOutcome:
    letter: DeadLetter
    refusal: str | None  # None: sent to its original topic


async def replay(settings: ServiceSettings, letters: Iterable[DeadLetter]) -> list[ReplayOutcome]:
    """Send each dead letter worth replaying back to its topic, same key and value; wait for every ack."""
    outcomes = [ReplayOutcome(letter, replay_refusal(letter)) for letter in letters]
    producer = make_producer(settings)
    await producer.start()
    topics = {settings.topic(outcome.letter.topic) for outcome in outcomes if outcome.refusal is None}
    try:
        await confirm_topics(producer, topics)  # as publish() does: never let a send create a topic
        pending = [
            await producer.send(
                settings.topic(outcome.letter.topic),
                value=outcome.letter.value,
                key=outcome.letter.key,
                headers=replay_headers(outcome.letter),
            )
            for outcome in outcomes
            if outcome.refusal is None
        ]
        await asyncio.gather(*pending)
        await confirm_topics(producer, topics)
    finally:
        await producer.stop()
    return outcomes


def add_dlq_arguments(parser: argparse.ArgumentParser, topics: Iterable[str] = TOPICS) -> None:
    """`list`, `show` and `replay` under a `dlq` command."""
    choices = sorted(topics)
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every dead letter, one line each, oldest failure first")
    _add_selection(listing, choices)
    show = actions.add_parser("show", help="one dead letter in full: key, headers and value")
    show.add_argument("topic", choices=choices, help="the topic it failed on")
    show.add_argument("at", type=_position, metavar="PARTITION:OFFSET", help="its place in <topic>.dlq")
    again = actions.add_parser("replay", help="send dead letters back to their topic, unchanged")
    _add_selection(again, choices)
    again.add_argument("--all", action="store_true", help="every dead letter the filters match")


def _add_selection(parser: argparse.ArgumentParser, choices: list[str]) -> None:
    parser.add_argument("--topic", choices=choices, help="only dead letters of this topic")
    parser.add_argument("--reason", help="only this reason, e.g. undecodable or unprocessable")
    parser.add_argument(
        "--at",
        type=_position,
        action="append",
        default=[],
        metavar="PARTITION:OFFSET",
        help="only this dead letter of --topic (repeatable)",
    )


def _position(text: str) -> Position:
    try:
        return parse_position(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def run_dlq_command(settings: ServiceSettings, args: argparse.Namespace) -> int:
    """Run `dlq <action>`; returns the exit code (1: a named dead letter is not there, 2: usage)."""
    if usage := _usage_error(args):
        print(usage, file=sys.stderr)
        return 2
    selection = _selection(args)
    chosen = selection.select(await read_dead_letters(settings))
    missing = selection.missing(chosen)
    for partition, offset in missing:
        print(f"no dead letter {selection.topic} {partition}:{offset}", file=sys.stderr)
    if args.action == "list":
        print("\n".join(list_lines(chosen)) if chosen else "no dead letters")
    elif args.action == "show":
        for letter in chosen:
            print(show_text(letter))
    else:
        _print_replay(await replay(settings, chosen))
    return 1 if missing else 0


def _usage_error(args: argparse.Namespace) -> str | None:
    if args.action == "show":
        return None
    if args.at and not args.topic:
        return "--at needs --topic: offsets are per dead-letter topic"
    if args.action == "replay" and not (args.at or args.all):
        return "replay needs --topic T --at PARTITION:OFFSET, or --all (with optional filters)"
    return None


def _selection(args: argparse.Namespace) -> Selection:
    if args.action == "show":
        return Selection(topic=args.topic, positions=frozenset([args.at]))
    return Selection(args.topic, args.reason, frozenset(args.at))


def _print_replay(outcomes: list[ReplayOutcome]) -> None:
    for outcome in outcomes:
        if outcome.refusal is None:
            print(f"replayed {outcome.letter.name} (event {outcome.letter.event_id})")
        else:
            print(f"not replayed {outcome.letter.name}: {outcome.refusal}")
    sent = sum(outcome.refusal is None for outcome in outcomes)
    print(f"{sent} replayed, {len(outcomes) - sent} not replayed; an event already applied is skipped by its consumer")
