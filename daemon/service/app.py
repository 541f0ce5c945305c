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
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from daemon.cache.hazard_cache import (
    CacheTopicSync,
)
from daemon.kafka.client_config import client_kwargs, producer_kwargs
from daemon.kafka.consumer import InputConsumer
from daemon.kafka.topics import TopicCreationError, ensure_topics
from daemon.runtime.logging_setup import get_logger
from daemon.service.answered import scan_answered
from daemon.service.messages import MessageHandling
from daemon.service.state import (
    INITIAL_BACKOFF_S,
    MAX_BACKOFF_S,
    BrokerLostError,
    RendererWarmUpError,
)

log = get_logger(__name__)

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


__all__ = ["AlertService", "BrokerLostError", "RendererWarmUpError"]


class AlertService(MessageHandling):
    """The asyncio application: Kafka in, records out, renders in worker threads.

    Its parts, one module each: ServiceState (state.py) ← Publishing ← RenderDispatch
    ← MessageHandling ← this class (session lifecycle, partitions, the watchdog).
    """

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
            if self._card_renderer is not None:
                await asyncio.to_thread(self._card_renderer.warm_up)
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
        consumer = InputConsumer(
            settings, self, self.metrics, on_skip=self.health.note_skipped_input
        )
        # Rebalance callbacks can come before the session is fully up.
        self._assigning_consumer = consumer
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

    async def partitions_assigned(self, partitions: set[TopicPartition]) -> None:
        """Rebalance: learn which re-read messages are already answered, then track them.

        Runs inside the rebalance, before the first fetch of ``partitions``: the records
        published after their committed offsets (by this process before a rebalance, or
        by one that crashed) are read back from the output topic so they are not
        published twice.
        """
        log.info("partitions_assigned", partitions=sorted(map(str, partitions)))
        consumer = self._assigning_consumer
        if not partitions or consumer is None:
            return
        committed = await consumer.committed_offsets(partitions)
        self.answered.update(await scan_answered(self.settings, committed))

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
