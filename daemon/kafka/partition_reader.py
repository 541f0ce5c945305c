"""Reads the input consumer's partitions one at a time, so one bad batch is one bad partition.

aiokafka raises a batch it cannot decode (a codec it lacks, a corrupt batch, a
decompression failure) out of ``getmany`` without saying which partition it came from,
drops the records it already drained in that call, and leaves the position where a
refetch hits the same batch again: one such batch used to stall the whole daemon. Here
every ``getmany`` names one partition. When a partition fails to decode, it is re-read
one record at a time from the last record handed out, which pins the failure to one
offset; that offset is skipped (an error log, a metric, ``/readyz``) and the partition
moves on. Such an offset has no bytes to dead-letter: aiokafka never hands them out.

Offsets outside the log (retention, a recreated topic) and partitions without a
committed offset are placed by ``kafka_offset_reset``, loudly for the former.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import (
    CorruptRecordException,
    KafkaError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
    RecordTooLargeError,
    UnsupportedCodecError,
)
from aiokafka.structs import ConsumerRecord, TopicPartition

from daemon.runtime.health import SkippedInput
from daemon.runtime.logging_setup import get_logger
from daemon.runtime.metrics import Metrics
from daemon.runtime.settings import Settings

log = get_logger(__name__)

SkipReporter = Callable[[SkippedInput], None]

# While no partition has data, look again this often (the fetcher fills its buffers in
# the background; this only bounds how late a buffered record is noticed).
IDLE_POLL_S = 0.005
# Some brokers (the embedded one among them) answer a fetch past the end of the log
# with no records and no error. A partition that stays idle with its position past the
# high watermark on two looks this far apart is treated as out of range.
BEYOND_LOG_CHECK_S = 1.0
REASON_UNDECODABLE = "undecodable-batch"
REASON_TOO_LARGE = "larger-than-fetch-size"


def is_decode_failure(error: BaseException) -> bool:
    """A failure of this partition's bytes, not of the session.

    aiokafka's own decode errors, and anything that is not a KafkaError at all (a
    codec library's DecompressionError, a malformed batch header). Other KafkaErrors
    raised by ``getmany`` are about the group or the connection and end the session.
    """
    if isinstance(error, UnsupportedCodecError | CorruptRecordException):
        return True
    return isinstance(error, Exception) and not isinstance(error, KafkaError)


class PartitionReader:
    """Fetches assigned, unpaused partitions in turn and recovers each one on its own."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        settings: Settings,
        metrics: Metrics,
        on_skip: SkipReporter | None = None,
    ) -> None:
        self._consumer = consumer
        self._settings = settings
        self._metrics = metrics
        self._on_skip = on_skip
        # Offset after the last record handed out, per partition: where a re-read starts.
        self._next_offset: dict[TopicPartition, int] = {}
        # Partitions being re-read one record at a time after a decode failure.
        self._careful: set[TopicPartition] = set()
        # Idle partitions: when to look again for a position past the log, and whether
        # the last look saw one.
        self._next_check: dict[TopicPartition, float] = {}
        self._beyond_log: set[TopicPartition] = set()
        # Partitions whose owner is still preparing for them (not fetched meanwhile).
        self._held: set[TopicPartition] = set()
        self._turn = 0

    def forget(self, partitions: set[TopicPartition]) -> None:
        """A rebalance moved ``partitions``: their positions come from the group again."""
        for partition in partitions:
            self._next_offset.pop(partition, None)
            self._careful.discard(partition)
            self._next_check.pop(partition, None)
            self._beyond_log.discard(partition)

    def hold(self, partitions: set[TopicPartition]) -> None:
        """Do not fetch ``partitions`` until :meth:`release`."""
        self._held |= partitions

    def release(self, partitions: set[TopicPartition]) -> None:
        """Fetch ``partitions`` again."""
        self._held -= partitions

    async def fetch(self, timeout_ms: int, max_records: int) -> list[ConsumerRecord[Any, Any]]:
        """Up to ``max_records`` records, waiting at most ``timeout_ms`` for the first."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            records = await self._one_round(max_records)
            if records or time.monotonic() >= deadline:
                return records
            await asyncio.sleep(IDLE_POLL_S)

    async def _one_round(self, max_records: int) -> list[ConsumerRecord[Any, Any]]:
        skipped = self._consumer.paused() | self._held
        partitions = sorted(
            (p for p in self._consumer.assignment() if p not in skipped),
            key=lambda p: (p.topic, p.partition),
        )
        if not partitions:
            return []
        # Start one partition further each round so a busy partition cannot starve the rest.
        self._turn = (self._turn + 1) % len(partitions)
        records: list[ConsumerRecord[Any, Any]] = []
        for partition in partitions[self._turn :] + partitions[: self._turn]:
            room = max_records - len(records)
            if room <= 0:
                break
            records.extend(await self._fetch_partition(partition, room))
        return records

    async def _fetch_partition(
        self, partition: TopicPartition, room: int
    ) -> list[ConsumerRecord[Any, Any]]:
        careful = partition in self._careful
        try:
            batches = await self._consumer.getmany(
                partition, timeout_ms=0, max_records=1 if careful else room
            )
        except OffsetOutOfRangeError as error:
            positions = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
            await self._reset_out_of_range(partition, positions.get(partition), "broker")
            return []
        except NoOffsetForPartitionError:
            await self._start_without_commit(partition)
            return []
        except RecordTooLargeError as error:
            # aiokafka already moved the position one past the record it cannot fetch.
            offset = error.args[2] if len(error.args) > 2 else -1
            self._skip(partition, int(offset), REASON_TOO_LARGE, error, seek=False)
            return []
        except Exception as error:
            if not is_decode_failure(error):
                raise
            await self._decode_failed(partition, error)
            return []
        records: list[ConsumerRecord[Any, Any]] = batches.get(partition, [])
        if records:
            self._next_offset[partition] = records[-1].offset + 1
            # A record decoded past the bad spot: back to whole batches.
            self._careful.discard(partition)
            self._beyond_log.discard(partition)
        else:
            await self._check_beyond_log(partition)
        return records

    async def _check_beyond_log(self, partition: TopicPartition) -> None:
        now = time.monotonic()
        if now < self._next_check.get(partition, 0.0):
            return
        self._next_check[partition] = now + BEYOND_LOG_CHECK_S
        highwater = self._consumer.highwater(partition)
        if highwater is None:
            return
        try:
            async with asyncio.timeout(0.05):
                position = await self._consumer.position(partition)
        except (TimeoutError, KafkaError):
            return
        if position <= highwater:
            self._beyond_log.discard(partition)
            return
        if partition not in self._beyond_log:
            self._beyond_log.add(partition)  # once may be a stale high watermark
            return
        await self._reset_out_of_range(partition, position, f"past high watermark {highwater}")

    async def _decode_failed(self, partition: TopicPartition, error: BaseException) -> None:
        resume = self._next_offset.get(partition)
        if resume is None:
            # Nothing handed out yet in this assignment: the group's committed offset is
            # where this partition's reading started.
            committed = await self._consumer.committed(partition)
            resume = (
                committed if committed is not None else await self._consumer.position(partition)
            )
        if partition not in self._careful:
            # Records drained before the failure in that call were lost with it: read
            # again from the last record handed out, one record per call, to find the
            # exact offset that fails.
            self._careful.add(partition)
            self._next_offset[partition] = resume
            log.warning(
                "input_decode_failed_rereading",
                partition=str(partition),
                from_offset=resume,
                error=repr(error),
            )
            self._consumer.seek(partition, resume)
            return
        self._skip(partition, resume, REASON_UNDECODABLE, error, seek=True)

    def _skip(
        self,
        partition: TopicPartition,
        offset: int,
        reason: str,
        error: BaseException,
        *,
        seek: bool,
    ) -> None:
        log.error(
            "input_offset_skipped",
            partition=str(partition),
            offset=offset,
            reason=reason,
            error=repr(error),
        )
        self._metrics.input_skipped.labels(
            topic=partition.topic, partition=str(partition.partition), reason=reason
        ).inc()
        if self._on_skip is not None:
            self._on_skip(
                SkippedInput(
                    partition.topic, partition.partition, offset, reason, repr(error), time.time()
                )
            )
        if seek and offset >= 0:
            self._next_offset[partition] = offset + 1
            self._consumer.seek(partition, offset + 1)

    async def _reset_out_of_range(
        self, partition: TopicPartition, offset: int | None, noticed_by: str
    ) -> None:
        policy = self._settings.kafka_offset_reset
        # Loud on purpose: with "earliest" alerts may be read twice, with "latest" the
        # ones in between are never read.
        log.error(
            "input_offset_out_of_range",
            partition=str(partition),
            offset=offset,
            policy=policy,
            noticed_by=noticed_by,
            hint="records fell out of retention, or the topic was deleted and recreated",
        )
        self._metrics.input_offset_resets.labels(
            topic=partition.topic, partition=str(partition.partition), policy=policy
        ).inc()
        await self._seek_by_policy(partition)

    async def _start_without_commit(self, partition: TopicPartition) -> None:
        policy = self._settings.kafka_offset_reset
        log.info("input_partition_without_commit", partition=str(partition), start=policy)
        await self._seek_by_policy(partition)

    async def _seek_by_policy(self, partition: TopicPartition) -> None:
        self.forget({partition})
        # Give the next fetch time to bring a fresh high watermark before looking again.
        self._next_check[partition] = time.monotonic() + BEYOND_LOG_CHECK_S
        if self._settings.kafka_offset_reset == "latest":
            await self._consumer.seek_to_end(partition)
        else:
            await self._consumer.seek_to_beginning(partition)
