"""The per-hazard media cache, replicated through a compacted Kafka topic.

Key: ``hazard/method/profile``. Each key holds up to ``variants`` rendered variants in
numbered slots; a lookup rotates over the live (unexpired) ones so repeated alerts for
one hazard do not all show the same picture. Each slot is one message on the cache
topic (message key ``<cache key>#<slot>``, value the variant as JSON), so compaction
keeps exactly the latest variant per slot, and two replicas writing different slots
never overwrite each other. Every replica reads the topic from the beginning at start
(the cache outlives restarts) and then tails it (a render by one replica is a hit for
all). Expiry is decided on read from ``expires_at``; stale slots are simply refilled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

log = structlog.get_logger(__name__)


def cache_key(hazard: str, method: str, profile: str) -> str:
    """The cache key of a render: hazard, animation method and model profile."""
    return f"{hazard}/{method}/{profile}"


class CacheEntryError(ValueError):
    """A cache-topic message that is not a valid variant (the offending text is attached)."""

    def __init__(self, message_key: str | None, problem: str) -> None:
        super().__init__(f"cache message {message_key!r}: {problem}")
        self.message_key = message_key


@dataclass(frozen=True, slots=True)
class CachedMedia:
    """One stored media file of a variant, as it appears in output records."""

    url: str
    format: str
    width: int
    height: int
    frames: int
    fps: float
    bytes: int
    sha256: str
    # Object key in the media store: URLs are minted from it at publish time, because a
    # presigned URL stored with a 24 h cache entry would expire after an hour.
    key: str | None = None


@dataclass(frozen=True, slots=True)
class CacheVariant:
    """One rendered variant for a cache key."""

    cache_key: str
    slot: int
    media: tuple[CachedMedia, ...]
    poster_url: str
    alt_text: str
    prompt: str
    clip_score: float
    models: Mapping[str, str]
    created_at: float
    expires_at: float
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    poster_key: str | None = None  # see CachedMedia.key
    # The render's mask facts (pipeline RenderResult.mask); None for cards and for
    # entries written before masks were recorded.
    mask: Mapping[str, object] | None = None

    @property
    def message_key(self) -> str:
        """Key of this variant's message on the compacted topic."""
        return f"{self.cache_key}#{self.slot}"

    def to_json(self) -> bytes:
        """Serialise for the cache topic."""
        data = asdict(self)
        data["models"] = dict(self.models)
        data["timings_ms"] = dict(self.timings_ms)
        data["mask"] = dict(self.mask) if self.mask is not None else None
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def from_json(cls, message_key: str | None, raw: bytes) -> CacheVariant:
        """Parse a cache-topic value; raises `CacheEntryError` naming the message."""
        try:
            data: dict[str, Any] = json.loads(raw)
            media = tuple(CachedMedia(**item) for item in data.pop("media"))
            return cls(media=media, **data)
        except (ValueError, TypeError, KeyError) as error:
            raise CacheEntryError(message_key, f"{error}: {raw[:200]!r}") from error


class HazardCache:
    """The in-memory view of the cache: slots per key, rotation, TTL."""

    def __init__(self, variants: int, ttl_s: float, clock: Callable[[], float]) -> None:
        if variants < 1:
            raise ValueError(f"variants must be >= 1, got {variants!r}")
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s!r}")
        self.variants = variants
        self.ttl_s = ttl_s
        self._clock = clock
        self._slots: dict[str, dict[int, CacheVariant]] = {}
        self._rotation: dict[str, int] = {}

    def apply(self, variant: CacheVariant) -> None:
        """Store ``variant`` in its slot (from a local render or from the topic)."""
        if variant.slot >= self.variants:
            # Written by a replica configured with more variants; ignore the extra slot.
            return
        current = self._slots.setdefault(variant.cache_key, {}).get(variant.slot)
        if current is None or current.created_at <= variant.created_at:
            self._slots[variant.cache_key][variant.slot] = variant

    def live(self, key: str) -> list[CacheVariant]:
        """Unexpired variants of ``key``, by slot."""
        now = self._clock()
        slots = self._slots.get(key, {})
        return [slots[slot] for slot in sorted(slots) if slots[slot].expires_at > now]

    def lookup(self, key: str) -> CacheVariant | None:
        """A live variant of ``key``, rotating over them on successive hits; None on miss."""
        live = self.live(key)
        if not live:
            return None
        turn = self._rotation.get(key, 0)
        self._rotation[key] = turn + 1
        return live[turn % len(live)]

    def next_slot(self, key: str) -> int:
        """The slot a new render should fill: the first empty or expired one, else the oldest."""
        now = self._clock()
        slots = self._slots.get(key, {})
        for slot in range(self.variants):
            variant = slots.get(slot)
            if variant is None or variant.expires_at <= now:
                return slot
        return min(slots.values(), key=lambda variant: variant.created_at).slot

    def wants_more_variants(self, key: str) -> bool:
        """True while ``key`` has fewer live variants than configured."""
        return len(self.live(key)) < self.variants

    def make_variant(
        self,
        key: str,
        *,
        media: tuple[CachedMedia, ...],
        poster_url: str,
        alt_text: str,
        prompt: str,
        clip_score: float,
        models: Mapping[str, str],
        timings_ms: Mapping[str, float],
        poster_key: str | None = None,
        mask: Mapping[str, object] | None = None,
    ) -> CacheVariant:
        """A new variant for the next free slot of ``key``, expiring after the TTL."""
        now = self._clock()
        return CacheVariant(
            cache_key=key,
            slot=self.next_slot(key),
            media=media,
            poster_url=poster_url,
            alt_text=alt_text,
            prompt=prompt,
            clip_score=clip_score,
            models=dict(models),
            created_at=now,
            expires_at=now + self.ttl_s,
            timings_ms=dict(timings_ms),
            poster_key=poster_key,
            mask=dict(mask) if mask is not None else None,
        )


class CacheTopicSync:
    """Loads the cache from its compacted topic, tails it, and writes new variants to it."""

    def __init__(
        self,
        cache: HazardCache,
        topic: str,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
    ) -> None:
        self._cache = cache
        self._topic = topic
        self._consumer = consumer
        self._producer = producer
        self.bad_entries = 0

    async def load(self) -> int:
        """Read the topic from the beginning up to its current end; returns messages read."""
        # topics() refreshes cluster metadata, which may be empty right after start.
        await self._consumer.topics()
        partitions = self._consumer.partitions_for_topic(self._topic) or set()
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        if not assigned:
            return 0
        await self._consumer.seek_to_beginning(*assigned)
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(assigned)
        remaining = {tp for tp, end in ends.items() if end > 0}
        read = 0
        while remaining:
            batches = await self._consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for message in messages:
                    self._apply_message(message.key, message.value)
                    read += 1
            for tp in list(remaining):
                if await self._consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return read

    async def tail(self) -> None:
        """Apply variants written by any replica, forever (cancel to stop)."""
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                for message in messages:
                    self._apply_message(message.key, message.value)

    async def publish(self, variant: CacheVariant) -> None:
        """Apply locally at once and write to the topic for restarts and other replicas."""
        self._cache.apply(variant)
        await self._producer.send_and_wait(
            self._topic, value=variant.to_json(), key=variant.message_key.encode()
        )

    def _apply_message(self, key: bytes | None, value: bytes | None) -> None:
        text_key = key.decode("utf-8", "replace") if key is not None else None
        if value is None:
            return  # a tombstone: nothing to apply
        try:
            self._cache.apply(CacheVariant.from_json(text_key, value))
        except CacheEntryError as error:
            # A foreign or corrupt entry must not stop the daemon; it is counted and logged.
            self.bad_entries += 1
            log.warning("cache_entry_invalid", error=str(error))
