"""The render queue: highest priority first, with ageing so nothing starves.

Effective priority of an entry is ``score + ageing_per_s * (now - enqueued_at)``.
Every entry ages at the same rate, so comparing two entries at any instant gives the
same answer as comparing ``score - ageing_per_s * enqueued_at``: a constant per
entry. That makes a plain binary heap exact (no periodic re-sorting) while an old
Minor alert still overtakes a fresh one of slightly higher score after a while.

Entries can be removed by alert key (Cancel, Update) or by partition (rebalance).
Removal is lazy: the heap entry is marked dead and skipped when it reaches the top.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from aiokafka.structs import TopicPartition

PayloadT = TypeVar("PayloadT")
AlertKey = tuple[str, str, datetime]


@dataclass(eq=False)
class QueueEntry(Generic[PayloadT]):
    """One alert waiting for a render."""

    alert_key: AlertKey
    cache_key: str
    band: str
    score: float
    partition: TopicPartition
    offset: int
    payload: PayloadT
    enqueued_at: float = 0.0
    removed: bool = field(default=False, repr=False)


class WorkQueue(Generic[PayloadT]):
    """Priority queue of `QueueEntry` with ageing, removal by key and by partition."""

    def __init__(self, ageing_per_s: float, clock: Callable[[], float]) -> None:
        if ageing_per_s < 0:
            raise ValueError(f"ageing_per_s must be >= 0, got {ageing_per_s!r}")
        self._ageing_per_s = ageing_per_s
        self._clock = clock
        self._heap: list[tuple[float, int, QueueEntry[PayloadT]]] = []
        self._sequence = itertools.count()
        self._live = 0
        self._bands: Counter[str] = Counter()
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return self._live

    def depth_by_band(self) -> dict[str, int]:
        """Live entries per priority band (for the queue-depth gauge)."""
        return {band: count for band, count in self._bands.items() if count > 0}

    def put(self, entry: QueueEntry[PayloadT]) -> None:
        """Add ``entry``; its ageing starts now."""
        entry.enqueued_at = self._clock()
        rank = entry.score - self._ageing_per_s * entry.enqueued_at
        # heapq is a min-heap: negate so the highest rank pops first; the sequence
        # number keeps FIFO order among equal ranks.
        heapq.heappush(self._heap, (-rank, next(self._sequence), entry))
        self._live += 1
        self._bands[entry.band] += 1
        self._changed.set()

    def pop_nowait(self) -> QueueEntry[PayloadT] | None:
        """Remove and return the entry with the highest effective priority, or None."""
        while self._heap:
            _, _, entry = heapq.heappop(self._heap)
            if entry.removed:
                continue
            self._forget(entry)
            return entry
        return None

    async def pop(self) -> QueueEntry[PayloadT]:
        """Wait for an entry and return the one with the highest effective priority."""
        while True:
            entry = self.pop_nowait()
            if entry is not None:
                return entry
            self._changed.clear()
            await self._changed.wait()

    def remove_where(
        self, predicate: Callable[[QueueEntry[PayloadT]], bool]
    ) -> list[QueueEntry[PayloadT]]:
        """Remove and return every live entry matching ``predicate``, in queue order."""
        matched = [
            entry for _, _, entry in sorted(self._heap) if not entry.removed and predicate(entry)
        ]
        for entry in matched:
            self._forget(entry)
        return matched

    def remove_alerts(self, keys: Iterable[AlertKey]) -> list[QueueEntry[PayloadT]]:
        """Remove the entries of the given (sender, identifier, sent) alert keys."""
        wanted = set(keys)
        return self.remove_where(lambda entry: entry.alert_key in wanted)

    def remove_cache_key(self, cache_key: str) -> list[QueueEntry[PayloadT]]:
        """Remove every entry waiting for ``cache_key`` (served by a render just finished)."""
        return self.remove_where(lambda entry: entry.cache_key == cache_key)

    def drop_partitions(self, partitions: Iterable[TopicPartition]) -> list[QueueEntry[PayloadT]]:
        """Remove entries of revoked partitions; their messages will be redelivered elsewhere."""
        revoked = set(partitions)
        return self.remove_where(lambda entry: entry.partition in revoked)

    def _forget(self, entry: QueueEntry[PayloadT]) -> None:
        entry.removed = True
        self._live -= 1
        self._bands[entry.band] -= 1
