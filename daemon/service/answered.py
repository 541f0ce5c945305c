"""Which input messages already have their terminal records: the output topic as state.

After a crash (or a rebalance), a partition is read again from its committed offset,
and alerts whose records were published after that commit would be answered twice.
Every record names its source (topic, partition, offset), so the output topic itself
says which of those re-read messages are already answered. When partitions are
assigned, the records published since the oldest uncommitted input message was
produced are scanned once; the service then finishes those alerts without a second
record. Every replica reads the same topic, so this holds across members and restarts
— no local file.

The scan starts at the input message's timestamp minus ``CLOCK_SKEW_S``: input
timestamps come from the upstream producer's clock, the records' from ours.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from daemon.kafka.client_config import client_kwargs
from daemon.runtime.logging_setup import get_logger
from daemon.runtime.settings import Settings

log = get_logger(__name__)

CLOCK_SKEW_S = 300.0
FETCH_TIMEOUT_MS = 200
# Empty polls in a row, with every partition at its high watermark, that end the scan.
QUIET_POLLS = 2
SCAN_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class AnsweredInput:
    """One alert of one input message that has a terminal record."""

    partition: int
    offset: int
    sender: str
    identifier: str


async def scan_answered(
    settings: Settings, committed: Mapping[TopicPartition, int | None]
) -> set[AnsweredInput]:
    """Alerts of input messages at or after ``committed`` that already have a record."""
    if not committed:
        return set()
    reader = AIOKafkaConsumer(**client_kwargs(settings), group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        async with asyncio.timeout(SCAN_TIMEOUT_S):
            # Before any assign(): metadata refreshes then cover only assigned topics.
            output = await _partitions_of(reader, settings.output_topic)
            since_ms = await _oldest_uncommitted_timestamp(reader, committed)
            if since_ms is None or not output:
                return set()
            start = since_ms - int(CLOCK_SKEW_S * 1000)
            records = await _records_since(reader, output, start)
    finally:
        await reader.stop()
    answered: set[AnsweredInput] = set()
    firsts = {tp.partition: offset for tp, offset in committed.items()}
    for value in records:
        found = _answered_by(value, settings.input_topic, firsts)
        if found is not None:
            answered.add(found)
    log.info(
        "answered_inputs_scanned",
        partitions=len(committed),
        output_records=len(records),
        answered=len(answered),
    )
    return answered


async def _oldest_uncommitted_timestamp(
    reader: AIOKafkaConsumer, committed: Mapping[TopicPartition, int | None]
) -> int | None:
    """Timestamp of the earliest input message at a committed offset (None: none exist)."""
    partitions = list(committed)
    reader.assign(partitions)
    oldest: int | None = None
    for partition in partitions:
        offset = committed[partition]
        if offset is None:
            await reader.seek_to_beginning(partition)
        else:
            reader.seek(partition, offset)
        batch = await reader.getmany(partition, timeout_ms=FETCH_TIMEOUT_MS * 5, max_records=1)
        for record in batch.get(partition, []):
            if oldest is None or record.timestamp < oldest:
                oldest = record.timestamp
    return oldest


async def _records_since(
    reader: AIOKafkaConsumer, partitions: list[TopicPartition], since_ms: int
) -> list[bytes]:
    """Values of every record of ``partitions`` produced at or after ``since_ms``."""
    reader.assign(partitions)
    found = await reader.offsets_for_times(dict.fromkeys(partitions, max(0, since_ms)))
    active: list[TopicPartition] = []
    for partition in partitions:
        position = found.get(partition)
        if position is None:
            continue  # nothing produced since then
        # Some brokers answer "none" with offset 0 and timestamp -1: read it all then.
        reader.seek(partition, position.offset)
        active.append(partition)
    values: list[bytes] = []
    quiet = 0
    while active and quiet < QUIET_POLLS:
        batches = await reader.getmany(*active, timeout_ms=FETCH_TIMEOUT_MS)
        for records in batches.values():
            values.extend(r.value for r in records if r.value is not None)
        ends = [await _at_end(reader, partition) for partition in active]
        caught_up = all(ends)
        quiet = quiet + 1 if not batches and caught_up else 0
    return values


async def _partitions_of(reader: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    await reader.topics()  # refreshes the cluster metadata
    partitions = reader.partitions_for_topic(topic)
    deadline = time.monotonic() + 5
    while partitions is None and time.monotonic() < deadline:
        await reader.topics()  # refreshes metadata
        partitions = reader.partitions_for_topic(topic)
    return [TopicPartition(topic, p) for p in sorted(partitions or ())]


async def _at_end(reader: AIOKafkaConsumer, partition: TopicPartition) -> bool:
    highwater = reader.highwater(partition)
    return highwater is not None and await reader.position(partition) >= highwater


def _answered_by(
    value: bytes, input_topic: str, firsts: dict[int, int | None]
) -> AnsweredInput | None:
    try:
        record: Any = json.loads(value)
        if record.get("status") == "provisional":
            return None  # a card ahead of the answer, not the answer
        source = record["source"]
        alert = record["alert"]
        if source["topic"] != input_topic or source["partition"] not in firsts:
            return None
        first = firsts[source["partition"]]
        if first is not None and source["offset"] < first:
            return None
        return AnsweredInput(
            source["partition"], source["offset"], alert["sender"], alert["identifier"]
        )
    except (ValueError, KeyError, TypeError):
        return None  # not a record of ours (or another schema): it answers nothing
