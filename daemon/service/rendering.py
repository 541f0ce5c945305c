"""Render dispatch: queued work to render workers (single flight per cache key), media
to the store, the cache updated, records published for the alert and its followers."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from aiokafka.errors import KafkaError

from daemon.cache.hazard_cache import (
    CachedMedia,
    CacheVariant,
)
from daemon.media.store import MediaStoreError
from daemon.runtime.logging_setup import alert_context, get_logger, message_context
from daemon.service.alert_flow import REASON_EXPIRED, all_infos_expired
from daemon.service.publishing import Publishing
from daemon.service.records import (
    RenderOutcome,
    primary_info,
)
from daemon.service.state import BrokerLostError, QueuedAlert
from daemon.service.work_queue import QueueEntry
from pipeline.card.content import card_text
from pipeline.interface import RenderError, RenderRequest

log = get_logger(__name__)

REASON_MEDIA_STORE = "media-store-error"
# A rendered file over settings.media_max_bytes (a runaway encoder, a huge render size).
REASON_MEDIA_TOO_LARGE = "media-too-large"


class RenderDispatch(Publishing):
    """Takes queued alerts in priority order and turns each into a record."""

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
                if not await self._publish_card_instead(work, error.reason):
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

    async def _publish_card_instead(self, work: QueuedAlert, reason: str) -> bool:
        """Under ``card_policy`` fallback or first: publish an alert card for an alert whose
        render failed (``rendered``, kind ``card``, the render's failure as ``reason``) —
        the provisional card when there is one. False when there is no card to give:
        another policy, or the card failed too."""
        if self._card_renderer is None:
            return False
        if work.provisional is not None:
            await asyncio.wait({work.provisional})
        outcome = _finished_card(work) or await self._card_outcome(work)
        if outcome is None:
            return False
        log.info("card_published_for_failed_render", reason=reason)
        self.metrics.card_fallbacks.labels(reason=reason).inc()
        await self._publish_record(work, "rendered", reason=reason, outcome=outcome)
        return True

    def _start_provisional_card(self, work: QueuedAlert) -> None:
        """Under ``card_policy=first``: draw and publish the alert's card while it waits for
        its render (a task: the partition goes on meanwhile)."""
        work.provisional = asyncio.create_task(
            self._provisional_card(work), name=f"provisional-card-{work.alert.identifier}"
        )

    async def _provisional_card(self, work: QueuedAlert) -> RenderOutcome | None:
        outcome = await self._card_outcome(work)
        if outcome is None:
            return None
        try:
            await self._publish_provisional(work, outcome)
        except (KafkaError, BrokerLostError, OSError) as error:
            # The terminal record still comes (or the alert is read again after the
            # session is rebuilt); a card is a courtesy, not part of the answer.
            log.warning("provisional_card_not_published", error=repr(error))
        return outcome

    async def _card_outcome(self, work: QueuedAlert) -> RenderOutcome | None:
        """Draw the alert's card in a thread and store its media; None if that failed."""
        card_renderer = self._card_renderer
        if card_renderer is None:
            return None
        started = self._clock()
        try:
            result = await asyncio.to_thread(card_renderer.render, self._request(work, slot=0))
            self._check_media_size([*result.media, result.poster])
            media = tuple([await self._store(file) for file in result.media])
            poster = await self._store(result.poster)
        except (RenderError, MediaStoreError) as error:
            log.warning("card_failed", error=str(error))
            return None
        self.metrics.stage_duration.labels(stage="card").observe(self._clock() - started)
        return RenderOutcome(
            media=media,
            poster_url=poster.url,
            alt_text=result.alt_text,
            prompt=result.prompt,
            clip_score=result.clip_score,
            models=result.models,
            timings_ms=result.timings_ms,
        )

    def _request(self, work: QueuedAlert, slot: int) -> RenderRequest:
        info = primary_info(work.alert)
        return RenderRequest(
            hazard=work.hazard,
            language=info.language if info else "en",
            method=self.settings.render_method,
            seed=self.settings.render_seed + slot,
            alert_text=(info.headline or info.event) if info else "",
            card=card_text(work.alert),
        )

    def _expired_now(self, work: QueuedAlert) -> bool:
        """The arrival rule again, at the current time: every info of the alert has expired."""
        return all_infos_expired(work.alert, self._wall_clock())

    async def _render_and_store(self, work: QueuedAlert, key: str) -> CacheVariant:
        request = self._request(work, self.cache.next_slot(key))
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
        self._check_media_size([*result.media, result.poster])
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
            mask=result.mask,
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

    def _check_media_size(self, files: list[Any]) -> None:
        """Refuse the render, before anything is stored, if one file is over the limit."""
        limit = self.settings.media_max_bytes
        for file in files:
            if len(file.data) > limit:
                raise RenderError(
                    REASON_MEDIA_TOO_LARGE,
                    f"{file.format} of {len(file.data)} bytes, more than media_max_bytes={limit}",
                )

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
            mask=variant.mask,
        )


def _finished_card(work: QueuedAlert) -> RenderOutcome | None:
    """The provisional card's media, when it was drawn and stored already."""
    task = work.provisional
    if task is None or not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()
