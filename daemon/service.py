"""The daemon: consume CAP, decide per alert, render by priority, publish one record each.

One `AlertService.run` call lives for the whole process. Inside it, a *session* is one
set of Kafka clients; when the broker is absent or goes away, the session is torn
down and a new one is tried with exponential backoff (``/readyz`` false meanwhile).
Work not yet committed is simply dropped on teardown: Kafka redelivers it (or, for
the in-memory embedded broker, it was lost with the broker anyway).

Data path per message (see docs/daemon.md): parse → DLQ for refused input → per alert
dedupe → decision (skip/expired/cancel/withdraw) → cache lookup → priority queue →
single flight per cache key → render in a worker thread → media store → record →
the offset is committed once every message before it is finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import Counter, Histogram

from cap.classify import classify_alert
from cap.document import parse_document
from cap.model import Alert
from cap.priority import BAND_NAMES, PriorityError, priority_band, priority_score
from daemon.alert_flow import REASON_EXPIRED, RENDER, all_infos_expired, decide
from daemon.consumer import InputConsumer
from daemon.dedupe import SeenAlerts
from daemon.hazard_cache import CachedMedia, CacheTopicSync, CacheVariant, HazardCache, cache_key
from daemon.health import Health
from daemon.kafka_config import client_kwargs, producer_kwargs
from daemon.logging_setup import alert_context, get_logger, message_context
from daemon.media_store import MediaStore, MediaStoreError
from daemon.metrics import Metrics
from daemon.offsets import OffsetTracker, Ticket
from daemon.records import (
    Priority,
    RenderOutcome,
    SourcePosition,
    build_record,
    encode_record,
    primary_info,
)
from daemon.render_workers import RenderWorkers
from daemon.settings import Settings
from daemon.single_flight import SingleFlight
from daemon.topics import TopicCreationError, ensure_topics
from daemon.work_queue import QueueEntry, WorkQueue
from pipeline.interface import RenderError, RenderRequest

log = get_logger(__name__)
# The per-record INFO line is the hot path's only routine log call: asking the stdlib
# logger (which caches its level check) first skips structlog's processor chain, which
# costs ~10 µs even when the level filter drops the event.
_level_check = logging.getLogger(__name__)

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
FETCH_TIMEOUT_MS = 100
FETCH_MAX_RECORDS = 200
# Handling a message never awaits the network (sends only enqueue), so without a
# yield the producer's sender could not ship records until the whole batch is done.
YIELD_EVERY_MESSAGES = 8
COMMIT_INTERVAL_S = 0.2
WATCHDOG_INTERVAL_S = 1.0
WATCHDOG_PROBE_TIMEOUT_S = 3.0
# Consecutive failed probes before the session is declared lost (one can be a hiccup).
WATCHDOG_FAILURES = 2
CLOSE_TIMEOUT_S = 5.0

# DLQ header names (contract: DESIGN.md "Topics").
HEADER_ERROR_CODE = "cinealert-error-code"
HEADER_ERROR_MESSAGE = "cinealert-error-message"
HEADER_SOURCE_TOPIC = "cinealert-source-topic"
HEADER_SOURCE_PARTITION = "cinealert-source-partition"
HEADER_SOURCE_OFFSET = "cinealert-source-offset"
HEADER_ITEM_INDEX = "cinealert-item-index"
ERROR_NO_ALERTS = "no-alerts"
REASON_MEDIA_STORE = "media-store-error"


class BrokerLostError(RuntimeError):
    """The session cannot go on: the broker stopped answering (or lost the input topic),
    or a render job died without publishing its record."""


class RendererWarmUpError(RuntimeError):
    """The renderer could not load its models; the daemon cannot render."""


@dataclass
class QueuedAlert:
    """What the render queue carries per alert."""

    alert: Alert
    hazard: str
    priority: Priority | None
    ticket: Ticket
    source: SourcePosition
    consumed_at: float


class AlertService:
    """The asyncio application: Kafka in, records out, renders in worker threads."""

    def __init__(
        self,
        settings: Settings,
        workers: RenderWorkers,
        media_store: MediaStore,
        metrics: Metrics,
        health: Health,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.media_store = media_store
        self.metrics = metrics
        self.health = health
        self._clock = clock
        self._wall_clock = wall_clock
        self.cache = HazardCache(settings.cache_variants, settings.cache_ttl_s, time.time)
        self._flight: SingleFlight[CacheVariant] = SingleFlight()
        self._renderer_ready = asyncio.Event()
        # Label lookups hash their values on every call; the hot path resolves them once.
        self._parse_seconds = metrics.stage_duration.labels(stage="parse")
        self._record_metrics: dict[str, tuple[Counter, Histogram]] = {}
        self._reset_session_state()

    # lifecycle ---------------------------------------------------------------

    def _reset_session_state(self) -> None:
        self.queue: WorkQueue[QueuedAlert] = WorkQueue(
            self.settings.priority_ageing_per_s, self._clock
        )
        self.tracker = OffsetTracker()
        self.seen = SeenAlerts()
        self._processing: set[asyncio.Task[None]] = set()
        self._retries: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.workers.size)
        self._session_over = asyncio.Event()
        self._session_problem = ""
        self._producer: AIOKafkaProducer | None = None
        self._consumer: InputConsumer | None = None
        self._cache_sync: CacheTopicSync | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set, then drain within ``shutdown_grace_s`` and return."""
        warm = asyncio.create_task(self._warm_up(), name="renderer-warm-up")

        def stop_if_warm_up_failed(task: asyncio.Task[None]) -> None:
            # Without a renderer no miss can ever be served: stop rather than limp on.
            if not task.cancelled() and task.exception() is not None:
                stop.set()

        warm.add_done_callback(stop_if_warm_up_failed)
        delay = INITIAL_BACKOFF_S
        try:
            while not stop.is_set():
                try:
                    await self._session(stop)
                    delay = INITIAL_BACKOFF_S
                except (KafkaError, OSError, TopicCreationError, BrokerLostError) as error:
                    # Includes TimeoutError (an OSError): the broker did not answer in time.
                    self.health.set_broker_connected(False)
                    log.warning("broker_unavailable", error=repr(error), retry_in_s=delay)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await stop.wait()
                    delay = min(delay * 2, MAX_BACKOFF_S)
        finally:
            if not warm.done():
                warm.cancel()
            await asyncio.gather(warm, return_exceptions=True)
            self.health.set_broker_connected(False)
        if not warm.cancelled() and warm.exception() is not None:
            failure = warm.exception()
            raise RendererWarmUpError(f"renderer warm-up failed: {failure!r}") from failure

    async def _warm_up(self) -> None:
        started = self._clock()
        try:
            await self.workers.warm_up()
        except Exception as error:
            log.error("renderer_warm_up_failed", error=repr(error))
            raise
        self.health.set_renderer_warm(True)
        self._renderer_ready.set()
        log.info("renderer_warm", seconds=round(self._clock() - started, 3))

    async def _session(self, stop: asyncio.Event) -> None:
        settings = self.settings
        self._reset_session_state()
        if settings.create_topics:
            async with asyncio.timeout(30):
                created = await ensure_topics(settings)
            if created:
                log.info("topics_created", topics=created)
        producer = AIOKafkaProducer(**producer_kwargs(settings), linger_ms=2)
        cache_consumer = AIOKafkaConsumer(
            **client_kwargs(settings), group_id=None, enable_auto_commit=False
        )
        consumer = InputConsumer(settings, self, self.metrics)
        tasks: list[asyncio.Task[None]] = []
        graceful = False
        try:
            await producer.start()
            await cache_consumer.start()
            cache_sync = CacheTopicSync(self.cache, settings.cache_topic, cache_consumer, producer)
            loaded = await cache_sync.load()
            await consumer.start()
            self._producer, self._consumer, self._cache_sync = producer, consumer, cache_sync
            self.health.set_broker_connected(True)
            log.info("session_started", cache_messages=loaded, input_topic=settings.input_topic)
            tasks = [
                asyncio.create_task(cache_sync.tail(), name="cache-tail"),
                asyncio.create_task(self._dispatch(), name="dispatcher"),
                asyncio.create_task(self._commit_periodically(), name="committer"),
                asyncio.create_task(self._watch_broker(consumer), name="watchdog"),
            ]
            await self._consume(stop, consumer)
            await self._drain(tasks)
            graceful = True
        finally:
            for task in tasks:
                task.cancel()
            for task in [*self._processing, *self._retries]:
                task.cancel()
            await asyncio.gather(*tasks, *self._processing, *self._retries, return_exceptions=True)
            await self._close(consumer.stop(), "consumer", graceful)
            await self._close(cache_consumer.stop(), "cache_consumer", graceful)
            await self._close(producer.stop(), "producer", graceful)
            self._producer = None
            self._consumer = None

    async def _close(self, closing: Any, what: str, graceful: bool) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await closing
        except (KafkaError, OSError) as error:
            # A client whose broker is gone may not close cleanly; the session is over anyway.
            log.warning("client_close_failed", client=what, error=repr(error), graceful=graceful)
        except asyncio.CancelledError:
            # aiokafka's fetcher re-raises the cancellation of its own internal fetch task
            # from stop() when the broker is gone; only a cancel aimed at us propagates.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            log.warning("client_close_interrupted", client=what, graceful=graceful)

    async def _consume(self, stop: asyncio.Event, consumer: InputConsumer) -> None:
        while not stop.is_set():
            if self._session_over.is_set():
                raise BrokerLostError(self._session_problem)
            records = await consumer.fetch(FETCH_TIMEOUT_MS, FETCH_MAX_RECORDS)
            for index, record in enumerate(records, start=1):
                await self._handle_message(record)
                if index % YIELD_EVERY_MESSAGES == 0:
                    await asyncio.sleep(0)
            consumer.apply_backpressure(len(self.queue))
            self._publish_queue_depth()

    async def _drain(self, tasks: list[asyncio.Task[None]]) -> None:
        """Stop taking work, let in-flight renders finish within the grace, commit."""
        dispatcher = tasks[1]
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
        grace = self.settings.shutdown_grace_s
        log.info("draining", in_flight=len(self._processing), queued=len(self.queue), grace_s=grace)
        if self._processing:
            _, pending = await asyncio.wait(self._processing, timeout=grace)
            if pending:
                # Not committed, so another member (or the next start) gets them again.
                log.warning("renders_abandoned", count=len(pending))
                for task in pending:
                    task.cancel()
        if self._producer is not None:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._producer.flush()
        await self._commit_now()

    # partitions --------------------------------------------------------------

    async def partitions_revoked(self, partitions: set[TopicPartition]) -> None:
        """Rebalance: commit what is done, then hand back queued work of ``partitions``."""
        try:
            await self._commit_now()
        except KafkaError as error:
            log.warning("commit_on_revoke_failed", error=repr(error))
        dropped = self._hand_back(partitions)
        log.info(
            "partitions_revoked", partitions=sorted(map(str, partitions)), dropped=len(dropped)
        )

    def _hand_back(self, partitions: set[TopicPartition]) -> list[QueueEntry[QueuedAlert]]:
        """Forget the queued work and tracking of ``partitions``: it will be read again."""
        dropped = self.queue.drop_partitions(partitions)
        for entry in dropped:
            self.seen.forget(entry.alert_key)
        for partition in partitions:
            self.tracker.drop(partition)
        return dropped

    async def partitions_assigned(self, partitions: set[TopicPartition]) -> None:
        """Rebalance: new partitions are tracked as their messages arrive."""
        log.info("partitions_assigned", partitions=sorted(map(str, partitions)))

    # per message -------------------------------------------------------------

    async def _handle_message(self, record: ConsumerRecord[Any, Any]) -> None:
        partition = TopicPartition(record.topic, record.partition)
        consumed_at = self._clock()
        self.metrics.alerts_consumed.inc()
        if record.offset <= self.tracker.last_seen(partition):
            # The position moved back (offset reset, or a seek by the client after an
            # error): start the partition over, as after a rebalance, so nothing queued
            # under the old tracking is committed by its re-read copy.
            log.warning(
                "partition_rewound",
                partition=str(partition),
                offset=record.offset,
                last_seen=self.tracker.last_seen(partition),
            )
            self._hand_back({partition})
        ticket = self.tracker.begin(partition, record.offset, parts=0)
        source = SourcePosition(record.topic, record.partition, record.offset)
        value: bytes = record.value if record.value is not None else b""
        with message_context(record.topic, record.partition, record.offset):
            started = self._clock()
            document = parse_document(value)
            self._parse_seconds.observe(self._clock() - started)
            if document.error is not None:
                await self._dead_letter(ticket, record, document.error.code, document.error.message)
                return
            for rejected in document.rejected:
                await self._dead_letter(
                    ticket, record, rejected.error.code, rejected.error.message, rejected.index
                )
            if not document.alerts and not document.rejected:
                await self._dead_letter(
                    ticket, record, ERROR_NO_ALERTS, f"{document.kind} input carries no CAP alert"
                )
            for alert in document.alerts:
                await self._handle_alert(alert, ticket, source, consumed_at)

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
        self.tracker.add_parts(ticket, 1)

        def delivered() -> None:
            self.metrics.dlq_published.inc()
            self.tracker.finish(ticket)

        await self._send(self.settings.dlq_topic, record.key, record.value, headers, delivered)

    async def _handle_alert(
        self, alert: Alert, ticket: Ticket, source: SourcePosition, consumed_at: float
    ) -> None:
        self.tracker.add_parts(ticket, 1)
        with alert_context(alert.identifier, alert.sender):
            hazard = classify_alert(alert).hazard
            if not self.seen.first_time(alert.key):
                self.metrics.duplicates.inc()
                log.info("duplicate_alert", sent=alert.sent.isoformat())
                self.tracker.finish(ticket)
                return
            now = self._wall_clock()
            decision = decide(alert, hazard, now, self.settings.render_test_alerts)
            if decision.withdraws:
                for entry in self.queue.remove_alerts(decision.withdraws):
                    withdrawn = entry.payload
                    log.info(
                        "queued_alert_withdrawn",
                        withdrawn=withdrawn.alert.identifier,
                        reason=decision.withdraw_reason,
                    )
                    await self._publish_record(
                        withdrawn, "cancelled", reason=decision.withdraw_reason
                    )
            work = QueuedAlert(alert, hazard, _priority(alert, now), ticket, source, consumed_at)
            if decision.outcome != RENDER:
                await self._publish_record(work, decision.outcome, reason=decision.reason)
                return
            key = cache_key(hazard, self.settings.render_method, self.workers.profile)
            variant = self.cache.lookup(key)
            if variant is not None:
                self.metrics.cache_hits.inc()
                await self._publish_record(work, "cached", outcome=self._outcome(variant))
                return
            self.metrics.cache_misses.inc()
            score = work.priority.score if work.priority else 0.0
            band = work.priority.band if work.priority else "low"
            self.queue.put(
                QueueEntry(alert.key, key, band, score, ticket.partition, ticket.offset, work)
            )

    # rendering ---------------------------------------------------------------

    async def _dispatch(self) -> None:
        await self._renderer_ready.wait()
        while True:
            await self._slots.acquire()
            try:
                entry = await self.queue.pop()
            except asyncio.CancelledError:
                self._slots.release()
                raise
            self._publish_queue_depth()
            task = asyncio.create_task(self._process(entry), name="render-job")
            self._processing.add(task)
            task.add_done_callback(self._process_done)

    def _process_done(self, task: asyncio.Task[None]) -> None:
        self._processing.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("render_job_crashed", error=repr(task.exception()))
            # Its alert has no record and its offset can never be committed: restart the
            # session so the message is read again, rather than stall the partition.
            self._end_session(f"render job crashed: {task.exception()!r}")

    async def _process(self, entry: QueueEntry[QueuedAlert]) -> None:
        work = entry.payload
        source = work.source
        with (
            message_context(source.topic, source.partition, source.offset),
            alert_context(work.alert.identifier, work.alert.sender),
        ):
            waited = self._clock() - entry.enqueued_at
            self.metrics.stage_duration.labels(stage="queue_wait").observe(waited)
            if self._expired_now(work):
                # It was valid on arrival but expired while queued: same rule, same record.
                log.info("queued_alert_expired", waited_s=round(waited, 3))
                await self._publish_record(work, "expired", reason=REASON_EXPIRED)
                return
            variant = self.cache.lookup(entry.cache_key)
            if variant is not None:
                self.metrics.cache_hits.inc()
                await self._publish_record(work, "cached", outcome=self._outcome(variant))
                return
            try:
                flight = await self._flight.run(
                    entry.cache_key, lambda: self._render_and_store(work, entry.cache_key)
                )
            except RenderError as error:
                log.warning("render_failed", reason=error.reason, error=str(error))
                await self._publish_record(work, "failed", reason=error.reason)
                return
            except MediaStoreError as error:
                log.warning("media_store_failed", error=str(error))
                await self._publish_record(work, "failed", reason=REASON_MEDIA_STORE)
                return
            outcome = self._outcome(flight.value)
            if not flight.leader and self._expired_now(work):
                # It joined another worker's render and expired while waiting for it. The
                # leader's own alert keeps "rendered": its render ran, like any in flight.
                log.info(
                    "queued_alert_expired", waited_s=round(self._clock() - entry.enqueued_at, 3)
                )
                await self._publish_record(work, "expired", reason=REASON_EXPIRED)
            else:
                status = "rendered" if flight.leader else "cached"
                await self._publish_record(
                    work, status, outcome=outcome, timings={"queue_wait": waited * 1000}
                )
            # Alerts still queued for this hazard are served by the render just done,
            # except those that expired while they waited.
            for follower in self.queue.remove_cache_key(entry.cache_key):
                served = follower.payload
                with (
                    message_context(
                        served.source.topic, served.source.partition, served.source.offset
                    ),
                    alert_context(served.alert.identifier, served.alert.sender),
                ):
                    if self._expired_now(served):
                        log.info("queued_alert_expired")
                        await self._publish_record(served, "expired", reason=REASON_EXPIRED)
                        continue
                    self.metrics.cache_hits.inc()
                    await self._publish_record(served, "cached", outcome=outcome)

    def _expired_now(self, work: QueuedAlert) -> bool:
        """The arrival rule again, at the current time: every info of the alert has expired."""
        return all_infos_expired(work.alert, self._wall_clock())

    async def _render_and_store(self, work: QueuedAlert, key: str) -> CacheVariant:
        info = primary_info(work.alert)
        slot = self.cache.next_slot(key)
        request = RenderRequest(
            hazard=work.hazard,
            language=info.language if info else "en",
            method=self.settings.render_method,
            seed=self.settings.render_seed + slot,
            alert_text=(info.headline or info.event) if info else "",
        )
        self.metrics.renders_in_flight.inc()
        started = self._clock()
        try:
            result = await self.workers.render(request)
        finally:
            self.metrics.renders_in_flight.dec()
        self.metrics.stage_duration.labels(stage="render").observe(self._clock() - started)
        for stage, ms in result.timings_ms.items():
            if stage != "total":
                self.metrics.stage_duration.labels(stage=f"render.{stage}").observe(ms / 1000)
        started = self._clock()
        media = [await self._store(file) for file in result.media]
        poster = await self._store(result.poster)
        self.metrics.stage_duration.labels(stage="store").observe(self._clock() - started)
        variant = self.cache.make_variant(
            key,
            media=tuple(media),
            poster_url=poster.url,
            poster_key=poster.key,
            alt_text=result.alt_text,
            prompt=result.prompt,
            clip_score=result.clip_score,
            models=result.models,
            timings_ms=result.timings_ms,
        )
        self.metrics.last_successful_render.set(time.time())
        if self._cache_sync is None:
            self.cache.apply(variant)
        else:
            try:
                await self._cache_sync.publish(variant)
            except KafkaError as error:
                # The local cache already has it; other replicas and restarts will not.
                log.warning("cache_write_failed", key=variant.message_key, error=repr(error))
        return variant

    async def _store(self, file: Any) -> CachedMedia:
        stored = await self.media_store.put(file.data, file.content_type, file.format)
        return CachedMedia(
            url=stored.url,
            format=file.format,
            width=file.width,
            height=file.height,
            frames=file.frames,
            fps=file.fps,
            bytes=stored.size,
            sha256=stored.sha256,
            key=stored.key,
        )

    def _outcome(self, variant: CacheVariant) -> RenderOutcome:
        """The variant with URLs minted now: a cache entry outlives a presigned URL."""
        media = tuple(
            replace(item, url=self.media_store.url_for(item.key)) if item.key else item
            for item in variant.media
        )
        poster_url = (
            self.media_store.url_for(variant.poster_key)
            if variant.poster_key
            else variant.poster_url
        )
        return RenderOutcome(
            media=media,
            poster_url=poster_url,
            alt_text=variant.alt_text,
            prompt=variant.prompt,
            clip_score=variant.clip_score,
            models=variant.models,
            timings_ms=variant.timings_ms,
        )

    # publishing and committing ------------------------------------------------

    async def _publish_record(
        self,
        work: QueuedAlert,
        status: str,
        *,
        reason: str | None = None,
        outcome: RenderOutcome | None = None,
        timings: dict[str, float] | None = None,
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
        )
        ticket = work.ticket
        published, latency = self._metrics_for_status(status)

        def delivered() -> None:
            published.inc()
            latency.observe(self._clock() - work.consumed_at)
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

    async def _watch_broker(self, consumer: InputConsumer) -> None:
        failures = 0
        while True:
            await asyncio.sleep(WATCHDOG_INTERVAL_S)
            try:
                async with asyncio.timeout(WATCHDOG_PROBE_TIMEOUT_S):
                    topics = await consumer.topics()
                healthy = self.settings.input_topic in topics
                problem = "input topic missing" if not healthy else ""
            except (KafkaError, OSError) as error:
                healthy, problem = False, repr(error)
            if healthy:
                failures = 0
                continue
            failures += 1
            log.warning("broker_probe_failed", problem=problem, consecutive=failures)
            if failures >= WATCHDOG_FAILURES:
                self.health.set_broker_connected(False)
                self._end_session(f"broker probe failed {failures} times: {problem}")
                return

    def _end_session(self, problem: str) -> None:
        if not self._session_over.is_set():
            self._session_problem = problem
            self._session_over.set()

    def _publish_queue_depth(self) -> None:
        depth = self.queue.depth_by_band()
        for band in BAND_NAMES:
            self.metrics.queue_depth.labels(band=band).set(depth.get(band, 0))


def _priority(alert: Alert, now: datetime) -> Priority | None:
    try:
        score = priority_score(alert, now)
        return Priority(score, priority_band(score))
    except PriorityError as error:
        log.warning("priority_unavailable", error=str(error))
        return None
