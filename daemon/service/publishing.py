"""Publishing: records and dead letters to Kafka with retries, and offset commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter, Histogram

from daemon.runtime.logging_setup import get_logger
from daemon.service.alert_flow import REASON_SCOPE
from daemon.service.offsets import Ticket
from daemon.service.records import (
    PROVISIONAL,
    RenderOutcome,
    build_record,
    encode_record,
)
from daemon.service.state import (
    INITIAL_BACKOFF_S,
    MAX_BACKOFF_S,
    BrokerLostError,
    QueuedAlert,
    ServiceState,
)

log = get_logger(__name__)
# The per-record INFO line is the hot path's only routine log call: asking the stdlib
# logger (which caches its level check) first skips structlog's processor chain, which
# costs ~10 µs even when the level filter drops the event.
_level_check = logging.getLogger(__name__)

COMMIT_INTERVAL_S = 0.2

# DLQ header names (contract: DESIGN.md "Topics").
HEADER_ERROR_CODE = "cinealert-error-code"
HEADER_ERROR_MESSAGE = "cinealert-error-message"
HEADER_SOURCE_TOPIC = "cinealert-source-topic"
HEADER_SOURCE_PARTITION = "cinealert-source-partition"
HEADER_SOURCE_OFFSET = "cinealert-source-offset"
HEADER_ITEM_INDEX = "cinealert-item-index"
HEADER_VALUE_OMITTED = "cinealert-value-omitted"
# Kafka's default message.max.bytes and the producer's max_request_size are 1 MiB; leave
# room for the key, the headers and the batch framing.
DLQ_MAX_VALUE_BYTES = 1024 * 1024 - 64 * 1024


class Publishing(ServiceState):
    """Sends records and dead letters; finishes offsets once Kafka has them."""

    async def _dead_letter(
        self,
        ticket: Ticket,
        record: ConsumerRecord[Any, Any],
        code: str,
        message: str,
        item_index: int | None = None,
    ) -> None:
        self.metrics.alerts_rejected.labels(code=code).inc()
        log.warning("input_rejected", code=code, error=message, item=item_index)
        headers = [
            (HEADER_ERROR_CODE, code.encode()),
            (HEADER_ERROR_MESSAGE, message.encode()),
            (HEADER_SOURCE_TOPIC, record.topic.encode()),
            (HEADER_SOURCE_PARTITION, str(record.partition).encode()),
            (HEADER_SOURCE_OFFSET, str(record.offset).encode()),
        ]
        if item_index is not None:
            headers.append((HEADER_ITEM_INDEX, str(item_index).encode()))
        value = record.value
        if value is not None and len(value) > DLQ_MAX_VALUE_BYTES:
            # Over what a producer may send by default: a dead letter that cannot be
            # published would stop the partition. Keep the headers, name what was left out.
            log.warning("dlq_value_omitted", bytes=len(value), limit=DLQ_MAX_VALUE_BYTES)
            headers.append((HEADER_VALUE_OMITTED, f"{len(value)} bytes".encode()))
            # Empty, not null: a record needs a key or a value, and the key may be null.
            value = b""
        self.tracker.add_parts(ticket, 1)

        def delivered() -> None:
            self.metrics.dlq_published.inc()
            self.tracker.finish(ticket)

        await self._send(self.settings.dlq_topic, record.key, value, headers, delivered)

    async def _publish_record(
        self,
        work: QueuedAlert,
        status: str,
        *,
        reason: str | None = None,
        outcome: RenderOutcome | None = None,
        timings: dict[str, float] | None = None,
    ) -> None:
        """The alert's terminal record; its delivery finishes the alert's input offset."""
        if work.provisional is not None:
            # Same key, same partition: sent after the card's record, it lands after it,
            # so a compacted output topic keeps the terminal record, never the card.
            await asyncio.wait({work.provisional})
        await self._send_record(
            work,
            status,
            reason=reason,
            outcome=outcome,
            timings=timings,
            # Not rendered and not for the public: the record says only that it existed.
            redacted=work.alert.scope != "Public" and reason == REASON_SCOPE,
        )

    async def _publish_provisional(self, work: QueuedAlert, outcome: RenderOutcome) -> None:
        """The card record ahead of the terminal one (card_policy=first): it finishes no
        offset, so a crash before the terminal record still answers the alert later."""
        await self._send_record(work, PROVISIONAL, outcome=outcome)

    async def _send_record(
        self,
        work: QueuedAlert,
        status: str,
        *,
        reason: str | None = None,
        outcome: RenderOutcome | None = None,
        timings: dict[str, float] | None = None,
        redacted: bool = False,
    ) -> None:
        total_ms = (self._clock() - work.consumed_at) * 1000
        record = build_record(
            work.alert,
            work.hazard,
            status,
            work.source,
            priority=work.priority,
            reason=reason,
            outcome=outcome,
            timings_ms={**(timings or {}), "total": total_ms},
            signature=work.signature.record_field(),
            redacted=redacted,
        )
        ticket = work.ticket
        finishes = status != PROVISIONAL
        published, latency = self._metrics_for_status(status)

        def delivered() -> None:
            published.inc()
            latency.observe(self._clock() - work.consumed_at)
            if finishes:
                self.tracker.finish(ticket)

        if _level_check.isEnabledFor(logging.INFO):
            log.info("record", status=status, hazard=work.hazard, reason=reason)
        await self._send(
            self.settings.output_topic,
            work.alert.identifier.encode(),
            encode_record(record),
            [],
            delivered,
        )

    def _metrics_for_status(self, status: str) -> tuple[Counter, Histogram]:
        """The records-published counter and alert-to-record histogram of ``status``."""
        children = self._record_metrics.get(status)
        if children is None:
            children = (
                self.metrics.records_published.labels(status=status),
                self.metrics.alert_to_record.labels(status=status),
            )
            self._record_metrics[status] = children
        return children

    async def _send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        delivered: Callable[[], None],
    ) -> None:
        producer = self._producer
        if producer is None:
            raise BrokerLostError(f"no producer to publish to {topic!r}")
        future = await producer.send(topic, value=value, key=key, headers=headers)

        def settled(done: asyncio.Future[Any]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if error is None:
                delivered()
                return
            log.warning("publish_failed_retrying", topic=topic, error=repr(error))
            retry = asyncio.create_task(self._resend(topic, key, value, headers, delivered))
            self._retries.add(retry)
            retry.add_done_callback(self._retries.discard)

        future.add_done_callback(settled)

    async def _resend(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        delivered: Callable[[], None],
    ) -> None:
        delay = INITIAL_BACKOFF_S
        while True:
            await asyncio.sleep(delay)
            producer = self._producer
            if producer is None:
                return  # session over: the message is uncommitted and comes again
            try:
                await producer.send_and_wait(topic, value=value, key=key, headers=headers)
            except KafkaError as error:
                delay = min(delay * 2, MAX_BACKOFF_S)
                log.warning(
                    "publish_retry_failed", topic=topic, error=repr(error), retry_in_s=delay
                )
                continue
            delivered()
            return

    async def _commit_now(self) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        offsets = self.tracker.committable()
        if offsets:
            await consumer.commit(offsets)
            self.tracker.mark_committed(offsets)

    async def _commit_periodically(self) -> None:
        while True:
            await asyncio.sleep(COMMIT_INTERVAL_S)
            try:
                await self._commit_now()
            except KafkaError as error:
                # A rebalance in progress or a broker blip: the next tick tries again.
                log.warning("commit_failed", error=repr(error))
            if self._consumer is not None:
                self._consumer.update_lag(self.tracker.committed_offsets())
