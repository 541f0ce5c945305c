"""The input-topic group consumer: subscription, rebalance hooks, backpressure, commits, lag.

Auto-commit is off: the service commits only offsets the `OffsetTracker` says are safe.
Fetching goes one partition at a time (see `PartitionReader`), so a batch that cannot
be decoded is pinned to its partition and offset and skipped there, instead of failing
every fetch of the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.structs import ConsumerRecord, TopicPartition

from daemon.kafka.client_config import consumer_kwargs
from daemon.kafka.partition_reader import PartitionReader, SkipReporter
from daemon.runtime.logging_setup import get_logger
from daemon.runtime.metrics import Metrics
from daemon.runtime.settings import Settings

log = get_logger(__name__)

# Resume fetching once the queue is back below this share of queue_max, so the
# consumer does not flap between paused and resumed on every message.
RESUME_FRACTION = 0.8


class PartitionOwner(Protocol):
    """What the service does when partitions move (called by the rebalance listener)."""

    async def partitions_revoked(self, partitions: set[TopicPartition]) -> None:
        """Commit finished work and drop queued work of ``partitions``."""
        ...

    async def partitions_assigned(self, partitions: set[TopicPartition]) -> None:
        """Start tracking ``partitions``."""
        ...


class _RebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: PartitionOwner, reader: PartitionReader) -> None:
        self._owner = owner
        self._reader = reader

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self._reader.forget(set(revoked))
        await self._owner.partitions_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        partitions = set(assigned)
        self._reader.forget(partitions)
        # aiokafka may fetch before this callback returns; the owner's preparation (it
        # reads back what is already answered) must come before the first record.
        self._reader.hold(partitions)
        try:
            await self._owner.partitions_assigned(partitions)
        finally:
            self._reader.release(partitions)


class InputConsumer:
    """A consumer-group member on the input topic with manual commits."""

    def __init__(
        self,
        settings: Settings,
        owner: PartitionOwner,
        metrics: Metrics,
        extra_kwargs: Mapping[str, Any] | None = None,
        on_skip: SkipReporter | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._consumer = AIOKafkaConsumer(
            **consumer_kwargs(settings),
            # A member that dies is noticed within seconds, so its partitions move fast.
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            fetch_max_wait_ms=20,
            **(extra_kwargs or {}),
        )
        self._paused = False
        self._reader = PartitionReader(self._consumer, settings, metrics, on_skip)
        self._listener = _RebalanceListener(owner, self._reader)

    @property
    def paused(self) -> bool:
        """True while fetching is paused for backpressure."""
        return self._paused

    async def start(self) -> None:
        """Connect and join the group (raises aiokafka errors when the broker is absent)."""
        await self._consumer.start()
        self._consumer.subscribe([self._settings.input_topic], listener=self._listener)

    async def fetch(self, timeout_ms: int, max_records: int) -> list[ConsumerRecord[Any, Any]]:
        """The next batch, in offset order per partition; undecodable offsets are skipped."""
        return await self._reader.fetch(timeout_ms, max_records)

    def apply_backpressure(self, queued: int) -> None:
        """Pause every assigned partition at ``queue_max``; resume once the queue drained."""
        limit = self._settings.queue_max
        if not self._paused and queued >= limit:
            self._consumer.pause(*self._consumer.assignment())
            self._paused = True
            log.info("consumer_paused", queued=queued, queue_max=limit)
        elif self._paused and queued < max(1, int(limit * RESUME_FRACTION)):
            self._consumer.resume(*self._consumer.assignment())
            self._paused = False
            log.info("consumer_resumed", queued=queued, queue_max=limit)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit ``offsets`` (next offset to read per partition)."""
        if offsets:
            await self._consumer.commit(dict(offsets))

    async def committed_offsets(
        self, partitions: set[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """The group's committed offset per partition (None: never committed)."""
        return {partition: await self._consumer.committed(partition) for partition in partitions}

    def assignment(self) -> set[TopicPartition]:
        """Partitions this member owns now."""
        return set(self._consumer.assignment())

    def update_lag(self, committed: Mapping[TopicPartition, int]) -> None:
        """Set the lag gauge: high watermark minus committed offset, per owned partition."""
        for partition in self._consumer.assignment():
            highwater = self._consumer.highwater(partition)
            if highwater is None:
                continue
            done = committed.get(partition, 0)
            self._metrics.consumer_lag.labels(
                topic=partition.topic, partition=str(partition.partition)
            ).set(max(0, highwater - done))

    async def topics(self) -> set[str]:
        """Topic names the cluster knows (a metadata round trip: used as a liveness probe)."""
        names: set[str] = await self._consumer.topics()
        return names

    async def stop(self) -> None:
        """Leave the group and close connections."""
        await self._consumer.stop()
