"""librdkafka (``confluent_kafka``) as an independent Kafka client in tests.

The daemon speaks Kafka through aiokafka; these helpers let a second, unrelated client
implementation produce its input and read its output on the same real broker. Every
call blocks: run it with ``asyncio.to_thread`` from a test whose event loop also runs
the service, or the service stalls while librdkafka waits.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

from tests.support.kafka import ConsumeTimeoutError, RawMessage

# Tansu holds a new member's JoinGroup for about half its session timeout before it
# answers (seen: 45 s → 23 s, 6 s → 3.1 s); librdkafka's default of 45 s would make
# every group consumer here wait 23 s for its assignment. 6 s is Kafka's usual minimum.
CONSUMER_SESSION_TIMEOUT_MS = 6000
LINGER_MS = 5


def _as_message(item: RawMessage | bytes) -> RawMessage:
    return item if isinstance(item, RawMessage) else RawMessage(value=item)


def _raw(message: Message) -> RawMessage:
    """A delivered or consumed librdkafka message as the tests' RawMessage."""
    _kind, timestamp_ms = message.timestamp()
    headers: list[tuple[str, bytes]] = []
    raw_headers = message.headers() or []
    # confluent_kafka hands consumed headers out as a list of pairs; its types allow a dict.
    pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
    for name, value in pairs:
        if not isinstance(value, bytes):
            raise AssertionError(f"header {name!r} has no bytes value: {value!r}")
        headers.append((name, value))
    return RawMessage(
        value=message.value(),
        key=message.key(),
        headers=tuple(headers),
        partition=message.partition(),
        offset=message.offset(),
        timestamp_ms=timestamp_ms,
    )


class _Deliveries:
    """Collects delivery reports, in produce order; fails loudly on any error."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.reports: list[tuple[KafkaError | None, Message]] = []

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        self.reports.append((error, message))

    def delivered(self, expected: int) -> list[RawMessage]:
        errors = [error for error, _message in self.reports if error is not None]
        if errors or len(self.reports) != expected:
            raise AssertionError(
                f"topic {self.topic!r}: {len(self.reports)}/{expected} delivery reports,"
                f" errors: {errors}"
            )
        return [_raw(message) for _error, message in self.reports]


def _produce_all(
    producer: Producer, topic: str, items: Iterable[RawMessage | bytes], on_delivery: _Deliveries
) -> int:
    count = 0
    for item in items:
        message = _as_message(item)
        extra: dict[str, Any] = {}
        if message.partition is not None:
            extra["partition"] = message.partition
        producer.produce(
            topic,
            value=message.value,
            key=message.key,
            headers=list(message.headers) or None,
            on_delivery=on_delivery,
            **extra,
        )
        count += 1
    return count


def produce(
    bootstrap: str,
    topic: str,
    messages: Iterable[RawMessage | bytes],
    config: Mapping[str, Any] | None = None,
    timeout_s: float = 15.0,
) -> list[RawMessage]:
    """Produce with one librdkafka Producer (``config`` added), flush, check every delivery.

    Returns the messages as delivered (partition and offset set), in produce order.
    """
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": LINGER_MS, **(config or {})})
    try:
        deliveries = _Deliveries(topic)
        count = _produce_all(producer, topic, messages, deliveries)
        left = producer.flush(timeout_s)
        if left:
            raise AssertionError(f"topic {topic!r}: {left} messages not delivered in {timeout_s} s")
    finally:
        producer.close()
    return deliveries.delivered(count)


def produce_transactions(
    bootstrap: str,
    topic: str,
    transactions: Sequence[tuple[Sequence[RawMessage | bytes], bool]],
    timeout_s: float = 15.0,
) -> list[list[RawMessage]]:
    """Run ``(messages, commit)`` transactions in order on one transactional producer.

    Each transaction's messages are flushed (so in the log, with offsets) before it is
    committed (``commit`` true) or aborted. Returns each transaction's delivered messages.
    """
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": f"librdkafka-tx-{uuid.uuid4().hex[:10]}",
            "linger.ms": LINGER_MS,
        }
    )
    results: list[list[RawMessage]] = []
    try:
        producer.init_transactions(timeout_s)
        for messages, commit in transactions:
            producer.begin_transaction()
            deliveries = _Deliveries(topic)
            count = _produce_all(producer, topic, messages, deliveries)
            left = producer.flush(timeout_s)
            if left:
                raise AssertionError(f"topic {topic!r}: {left} transactional messages not sent")
            results.append(deliveries.delivered(count))
            if commit:
                producer.commit_transaction(timeout_s)
            else:
                producer.abort_transaction(timeout_s)
    finally:
        producer.close()
    return results


def consume(
    bootstrap: str,
    topic: str,
    count: int,
    timeout_s: float = 20.0,
    *,
    group_id: str | None = None,
    isolation_level: str = "read_committed",
    commit: bool = False,
) -> list[RawMessage]:
    """Read ``count`` messages of ``topic`` as a member of a consumer group.

    The group is ``group_id`` or a fresh one; a group without committed offsets starts
    at the earliest offset. ``commit`` commits what was read before leaving, so a later
    member of the same group resumes after it. Raises ConsumeTimeoutError (with what did
    arrive) when fewer than ``count`` come within ``timeout_s``; a consumer error fails.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group_id or f"librdkafka-{uuid.uuid4().hex[:10]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": isolation_level,
            "session.timeout.ms": CONSUMER_SESSION_TIMEOUT_MS,
        }
    )
    received: list[RawMessage] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while len(received) < count and time.monotonic() < deadline:
            message = consumer.poll(0.1)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                raise AssertionError(f"librdkafka consumer of {topic!r}: {error}")
            received.append(_raw(message))
        if commit and received:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    if len(received) < count:
        raise ConsumeTimeoutError(topic, count, received)
    return received


def high_watermarks(bootstrap: str, topic: str, timeout_s: float = 10.0) -> dict[int, int]:
    """The next offset per partition of ``topic``, as the broker's Fetch responses say.

    Not ListOffsets: Tansu 0.6.0 answers ListOffsets(latest) with the last batch's base
    offset + 1, so records after the first of a multi-record batch at the end of the log
    are not counted (seen alike from librdkafka and aiokafka); its Fetch responses carry
    the right high watermark, which librdkafka reports as the partition-EOF offset.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"librdkafka-watermarks-{uuid.uuid4().hex[:10]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_uncommitted",
        }
    )
    ends: dict[int, int] = {}
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s).topics[topic]
        if metadata.error is not None:
            raise AssertionError(f"topic {topic!r}: {metadata.error}")
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        deadline = time.monotonic() + timeout_s
        while len(ends) < len(metadata.partitions) and time.monotonic() < deadline:
            message = consumer.poll(0.1)
            if message is None:
                continue
            error = message.error()
            if error is None:
                continue
            if error.code() != KafkaError._PARTITION_EOF:
                raise AssertionError(f"librdkafka reading {topic!r} to its end: {error}")
            partition, offset = message.partition(), message.offset()
            assert partition is not None and offset is not None
            ends[partition] = offset
    finally:
        consumer.close()
    if len(ends) < len(metadata.partitions):
        raise AssertionError(f"topic {topic!r}: no end seen within {timeout_s} s, got {ends}")
    return ends


def wait_committed(
    bootstrap: str,
    group_id: str,
    topic: str,
    *,
    partition: int,
    offset: int,
    timeout_s: float = 20.0,
) -> None:
    """Until ``group_id`` has committed ``offset`` or beyond on ``topic``/``partition``.

    Asks the group coordinator (OffsetFetch) without joining the group, so the members
    that commit are not disturbed. Fails naming the last committed offset on timeout.
    """
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group_id, "enable.auto.commit": False}
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            (committed,) = consumer.committed([TopicPartition(topic, partition)], timeout=5.0)
            if committed.error is not None:
                raise AssertionError(f"committed offset of {group_id!r}: {committed.error}")
            if committed.offset >= offset:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"group {group_id!r} committed {committed.offset} on {topic}[{partition}]"
                    f" after {timeout_s} s, not {offset}"
                )
            time.sleep(0.05)
    finally:
        consumer.close()
