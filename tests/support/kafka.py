"""Produce, consume and create topics on a real broker from tests (aiokafka, no fakes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class RawMessage:
    """One Kafka message as tests produce or see it."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None
    offset: int | None = field(default=None, compare=False)
    timestamp_ms: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class TopicNames:
    """Unique names for the daemon's four topics (the ``topic_names`` fixture)."""

    input: str
    output: str
    dlq: str
    cache: str


class ConsumeTimeoutError(AssertionError):
    """Fewer messages arrived than expected; ``received`` holds what did arrive."""

    def __init__(self, topic: str, expected: int, received: list[RawMessage]) -> None:
        self.received = received
        super().__init__(f"topic {topic!r}: expected {expected} messages, got {len(received)}")


async def create_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int = 1,
    configs: dict[str, str] | None = None,
) -> None:
    """Create topics; an existing topic is fine, any other error fails the test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=configs or {}) for name in names]
        )
    finally:
        await admin.close()
    for topic, code, message in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise AssertionError(f"creating topic {topic!r} failed: {code} {message}")


async def produce_messages(
    bootstrap: str, topic: str, messages: Iterable[RawMessage | bytes]
) -> list[RawMessage]:
    """Produce in order and wait for every ack; returns the messages with partition/offset."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent: list[RawMessage] = []
    try:
        for item in messages:
            message = item if isinstance(item, RawMessage) else RawMessage(value=item)
            metadata = await producer.send_and_wait(
                topic,
                value=message.value,
                key=message.key,
                headers=list(message.headers),
                partition=message.partition,
            )
            sent.append(
                RawMessage(
                    value=message.value,
                    key=message.key,
                    headers=message.headers,
                    partition=metadata.partition,
                    offset=metadata.offset,
                )
            )
    finally:
        await producer.stop()
    return sent


async def consume_messages(
    bootstrap: str, topic: str, count: int, timeout_s: float = 20.0
) -> list[RawMessage]:
    """Read ``count`` messages of ``topic`` from the beginning (no consumer group).

    Raises ConsumeTimeoutError listing what arrived if fewer come within ``timeout_s``.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    received: list[RawMessage] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(received) < count:
                record = await consumer.getone()
                received.append(
                    RawMessage(
                        value=record.value,
                        key=record.key,
                        headers=tuple(record.headers),
                        partition=record.partition,
                        offset=record.offset,
                        timestamp_ms=record.timestamp,
                    )
                )
    except TimeoutError as error:
        raise ConsumeTimeoutError(topic, count, received) from error
    finally:
        await consumer.stop()
    return received


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The next offset per partition of ``topic`` (how many messages each holds)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        # topics() refreshes cluster metadata, so partitions_for_topic sees new topics.
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise AssertionError(f"topic {topic!r} does not exist on {bootstrap}")
        offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in offsets.items()}
