"""The render queue: priority, ageing, removal by alert key and by partition."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka.structs import TopicPartition

from daemon.service.work_queue import QueueEntry, WorkQueue

P0 = TopicPartition("in", 0)
P1 = TopicPartition("in", 1)
SENT = datetime(2026, 1, 1, tzinfo=UTC)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry(name: str, score: float, partition: TopicPartition = P0) -> QueueEntry[str]:
    return QueueEntry(("s", name, SENT), f"{name}-key", "low", score, partition, 0, name)


def drain(queue: WorkQueue[str]) -> list[str]:
    names = []
    while (item := queue.pop_nowait()) is not None:
        names.append(item.payload)
    return names


def test_highest_score_first_fifo_among_equals() -> None:
    queue: WorkQueue[str] = WorkQueue(0.0, ManualClock())
    for name, score in [("a", 1), ("b", 5), ("c", 1), ("d", 3)]:
        queue.put(entry(name, score))
    assert drain(queue) == ["b", "d", "a", "c"]


def test_ageing_lets_an_old_low_entry_overtake_a_fresh_higher_one() -> None:
    clock = ManualClock()
    queue: WorkQueue[str] = WorkQueue(ageing_per_s=0.1, clock=clock)
    queue.put(entry("old-low", 1.0))
    clock.now += 30  # old-low is now worth 1 + 3 = 4
    queue.put(entry("fresh-mid", 3.5))
    queue.put(entry("fresh-high", 4.5))
    assert drain(queue) == ["fresh-high", "old-low", "fresh-mid"]


def test_remove_by_alert_key_and_partition_updates_depth() -> None:
    queue: WorkQueue[str] = WorkQueue(0.0, ManualClock())
    queue.put(entry("a", 1))
    queue.put(entry("b", 2, P1))
    queue.put(entry("c", 3, P1))
    removed = queue.remove_alerts([("s", "a", SENT), ("s", "zzz", SENT)])
    assert [item.payload for item in removed] == ["a"]
    assert [item.payload for item in queue.drop_partitions([P1])] == ["c", "b"]
    assert len(queue) == 0
    assert queue.depth_by_band() == {}
    assert queue.pop_nowait() is None


def test_remove_cache_key_takes_every_waiter_of_that_key() -> None:
    queue: WorkQueue[str] = WorkQueue(0.0, ManualClock())
    first, second = entry("x", 1), entry("y", 2)
    second.cache_key = first.cache_key
    queue.put(first)
    queue.put(second)
    queue.put(entry("z", 0))
    assert {item.payload for item in queue.remove_cache_key(first.cache_key)} == {"x", "y"}
    assert drain(queue) == ["z"]


async def test_pop_waits_for_a_put() -> None:
    queue: WorkQueue[str] = WorkQueue(0.0, ManualClock())
    waiter = asyncio.create_task(queue.pop())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    queue.put(entry("late", 1))
    assert (await asyncio.wait_for(waiter, 5)).payload == "late"


def test_negative_ageing_is_refused() -> None:
    with pytest.raises(ValueError, match=r"-1"):
        WorkQueue(-1.0, ManualClock())
