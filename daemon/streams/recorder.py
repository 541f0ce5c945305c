"""Capture a topic into a recorded stream (``cinealert record``).

``t`` comes from the Kafka record timestamps, relative to the first message recorded,
and never goes backwards (messages of different partitions can interleave out of
timestamp order; those are clamped to the previous ``t``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from daemon.streams.format import StreamHeader, StreamMessage, header_line, message_line


class RecordError(RuntimeError):
    """The topic to record is missing, or a message cannot be written in the format."""


@dataclass(frozen=True)
class RecordLimits:
    """When to stop: after ``max_messages``, or ``idle_timeout_s`` without a message."""

    max_messages: int | None = None
    idle_timeout_s: float | None = None


async def record(
    topic: str,
    out: TextIO,
    client_options: dict[str, Any],
    *,
    from_beginning: bool = False,
    limits: RecordLimits | None = None,
) -> int:
    """Write ``topic``'s messages to ``out`` as they arrive; return how many were written.

    Each line is flushed at once, so an interrupted recording is still a valid file.
    """
    limits = limits or RecordLimits()
    consumer = AIOKafkaConsumer(
        **client_options, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        header = StreamHeader(
            description=f"recorded from topic {topic}",
            recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            extra={"topic": topic},
        )
        out.write(header_line(header) + "\n")
        out.flush()
        return await _copy(consumer, out, limits)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    # topics() refreshes metadata, so a topic created a moment ago is seen.
    if topic not in await consumer.topics():
        raise RecordError(f"topic {topic!r} does not exist")
    numbers = consumer.partitions_for_topic(topic) or set()
    return [TopicPartition(topic, number) for number in sorted(numbers)]


async def _copy(consumer: AIOKafkaConsumer, out: TextIO, limits: RecordLimits) -> int:
    loop = asyncio.get_running_loop()
    written = 0
    first_timestamp_ms: int | None = None
    previous_t = 0.0
    last_message_at = loop.time()
    while limits.max_messages is None or written < limits.max_messages:
        batches = await consumer.getmany(timeout_ms=200)
        records = sorted(
            (r for batch in batches.values() for r in batch), key=lambda r: r.timestamp
        )
        if not records:
            idle = loop.time() - last_message_at
            if limits.idle_timeout_s is not None and idle >= limits.idle_timeout_s:
                break
            continue
        last_message_at = loop.time()
        for consumed in records:
            if limits.max_messages is not None and written >= limits.max_messages:
                break
            if first_timestamp_ms is None:
                first_timestamp_ms = consumed.timestamp
            t = max(previous_t, (consumed.timestamp - first_timestamp_ms) / 1000.0)
            previous_t = t
            message = StreamMessage(
                t=t, key=consumed.key, value=consumed.value, headers=tuple(consumed.headers)
            )
            try:
                line = message_line(message)
            except ValueError as error:
                raise RecordError(
                    f"{consumed.topic}/{consumed.partition}@{consumed.offset}: {error}"
                ) from error
            out.write(line + "\n")
            out.flush()
            written += 1
    return written
