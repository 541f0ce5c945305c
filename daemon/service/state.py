"""Shared state of the alert service: the clients and per-session structures every
part of the flow reads, plus the small operations several parts need."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition
from prometheus_client import Counter, Histogram

from cap.model import Alert
from cap.priority import BAND_NAMES
from daemon.cache.hazard_cache import (
    CacheTopicSync,
    CacheVariant,
    HazardCache,
)
from daemon.kafka.consumer import InputConsumer
from daemon.media.store import MediaStore
from daemon.runtime.health import Health
from daemon.runtime.logging_setup import get_logger
from daemon.runtime.metrics import Metrics
from daemon.runtime.settings import Settings
from daemon.service.answered import AnsweredInput
from daemon.service.dedupe import SeenAlerts
from daemon.service.offsets import OffsetTracker, Ticket
from daemon.service.records import (
    Priority,
    RenderOutcome,
    SourcePosition,
)
from daemon.service.render_workers import RenderWorkers
from daemon.service.renderer_factory import build_card_renderer
from daemon.service.signatures import UNCHECKED, SignaturePolicy, SignatureVerdict
from daemon.service.single_flight import SingleFlight
from daemon.service.work_queue import QueueEntry, WorkQueue
from pipeline.card.renderer import PROFILE as CARD_PROFILE
from pipeline.interface import Renderer

log = get_logger(__name__)

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0


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
    signature: SignatureVerdict = UNCHECKED
    # card_policy=first: the task that publishes this alert's provisional card record; its
    # terminal record waits for it (same key, so it lands after the card, never before),
    # and a failed render reuses the card as the terminal record's media.
    provisional: asyncio.Task[RenderOutcome | None] | None = None


class ServiceState:
    """Settings, collaborators and the per-session state of one AlertService."""

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
        # Loads the trust store: a bad certificate file stops the start, naming the file.
        self.signatures = SignaturePolicy(settings)
        # Built once: every input message is parsed under these.
        self.parse_limits = settings.parse_limits
        # Cards stand in for failed renders (fallback, first) and come before renders
        # (first); pointless when the workers draw cards already (only).
        self._card_renderer: Renderer | None = None
        if settings.card_policy in ("fallback", "first") and workers.profile != CARD_PROFILE:
            self._card_renderer = build_card_renderer(settings)
        self.cache = HazardCache(settings.cache_variants, settings.cache_ttl_s, time.time)
        self._flight: SingleFlight[CacheVariant] = SingleFlight()
        self._renderer_ready = asyncio.Event()
        # Label lookups hash their values on every call; the hot path resolves them once.
        self._parse_seconds = metrics.stage_duration.labels(stage="parse")
        self._record_metrics: dict[str, tuple[Counter, Histogram]] = {}
        self._reset_session_state()

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
        self._assigning_consumer: InputConsumer | None = None
        # Alerts of re-read input messages that already have a record (service.answered).
        self.answered: set[AnsweredInput] = set()
        self._cache_sync: CacheTopicSync | None = None

    def _hand_back(self, partitions: set[TopicPartition]) -> list[QueueEntry[QueuedAlert]]:
        """Forget the queued work and tracking of ``partitions``: it will be read again."""
        dropped = self.queue.drop_partitions(partitions)
        for entry in dropped:
            self.seen.forget(entry.alert_key)
            if entry.payload.provisional is not None:
                # The partition's next owner answers the alert; a card published by this
                # member now could land after that owner's terminal record.
                entry.payload.provisional.cancel()
        for partition in partitions:
            self.tracker.drop(partition)
        return dropped

    def _end_session(self, problem: str) -> None:
        if not self._session_over.is_set():
            self._session_problem = problem
            self._session_over.set()

    def _publish_queue_depth(self) -> None:
        depth = self.queue.depth_by_band()
        for band in BAND_NAMES:
            self.metrics.queue_depth.labels(band=band).set(depth.get(band, 0))
