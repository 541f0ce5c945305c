"""The per-hazard cache: TTL, variant rotation, slots, and persistence on a real topic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from daemon.cache.hazard_cache import (
    CachedMedia,
    CacheEntryError,
    CacheTopicSync,
    CacheVariant,
    HazardCache,
    cache_key,
)
from daemon.service.single_flight import SingleFlight
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import create_topics, produce_messages
from tests.support.service_harness import read_records, running_service, service_settings

KEY = cache_key("flood", "cinemagraph", "tiny")
MEDIA = (CachedMedia("http://m/1.gif", "gif", 16, 16, 3, 4.0, 100, "a" * 64),)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def variant(cache: HazardCache, prompt: str) -> CacheVariant:
    return cache.make_variant(
        KEY,
        media=MEDIA,
        poster_url="http://m/p.png",
        alt_text="water",
        prompt=prompt,
        clip_score=25.0,
        models={"t2i": "tiny"},
        timings_ms={"total": 5.0},
    )


def test_miss_then_hit_then_expiry() -> None:
    clock = ManualClock()
    cache = HazardCache(variants=2, ttl_s=60, clock=clock)
    assert cache.lookup(KEY) is None
    cache.apply(variant(cache, "one"))
    hit = cache.lookup(KEY)
    assert hit is not None and hit.prompt == "one"
    clock.now += 61
    assert cache.lookup(KEY) is None
    assert cache.next_slot(KEY) == 0  # the expired slot is refilled first


def test_variants_fill_slots_then_rotate_and_oldest_is_replaced() -> None:
    clock = ManualClock()
    cache = HazardCache(variants=2, ttl_s=600, clock=clock)
    cache.apply(variant(cache, "one"))
    clock.now += 1
    cache.apply(variant(cache, "two"))
    assert not cache.wants_more_variants(KEY)
    seen = [cache.lookup(KEY) for _ in range(4)]
    assert [item.prompt for item in seen if item] == ["one", "two", "one", "two"]
    clock.now += 1
    third = variant(cache, "three")
    assert third.slot == 0  # the oldest slot
    cache.apply(third)
    assert sorted(item.prompt for item in cache.live(KEY)) == ["three", "two"]


def test_variant_json_round_trip_and_bad_entries_are_named() -> None:
    cache = HazardCache(variants=1, ttl_s=60, clock=ManualClock())
    original = variant(cache, "one")
    assert CacheVariant.from_json(original.message_key, original.to_json()) == original
    with pytest.raises(CacheEntryError, match="flood/cinemagraph/tiny#0"):
        CacheVariant.from_json("flood/cinemagraph/tiny#0", b'{"media": 1}')


async def test_cache_survives_a_restart_through_the_compacted_topic(
    kafka_bootstrap: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("cache")
    await create_topics(kafka_bootstrap, [topic], configs={"cleanup.policy": "compact"})
    # A foreign message on the topic must be skipped, not stop the load.
    await produce_messages(kafka_bootstrap, topic, [b"not json"])

    async def open_sync(cache: HazardCache) -> tuple[CacheTopicSync, list[object]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None)
        await producer.start()
        await consumer.start()
        return CacheTopicSync(cache, topic, consumer, producer), [producer, consumer]

    writer_cache = HazardCache(variants=3, ttl_s=3600, clock=ManualClock())
    writer, clients = await open_sync(writer_cache)
    try:
        await writer.load()
        assert writer.bad_entries == 1
        await writer.publish(variant(writer_cache, "first"))
    finally:
        for client in clients:
            await client.stop()  # type: ignore[attr-defined]

    # A replica tailing the topic sees the other's variant; a restarted one loads it.
    reader_cache = HazardCache(variants=3, ttl_s=3600, clock=ManualClock())
    reader, clients = await open_sync(reader_cache)
    try:
        loaded = await reader.load()
        assert loaded == 2
        found = reader_cache.lookup(KEY)
        assert found is not None and found.prompt == "first"
        tail = asyncio.create_task(reader.tail())
        other_cache = HazardCache(variants=3, ttl_s=3600, clock=ManualClock())
        other_cache.apply(found)
        second = variant(other_cache, "second")
        assert second.slot == 1
        await reader._producer.send_and_wait(topic, second.to_json(), second.message_key.encode())
        async with asyncio.timeout(20):
            while len(reader_cache.live(KEY)) < 2:
                await asyncio.sleep(0.05)
        tail.cancel()
    finally:
        for client in clients:
            await client.stop()  # type: ignore[attr-defined]


async def test_single_flight_shares_one_execution_and_its_error() -> None:
    flight: SingleFlight[str] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "media"

    tasks = [asyncio.create_task(flight.run("k", work)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert flight.in_flight("k")
    release.set()
    outcomes = await asyncio.gather(*tasks)
    assert calls == 1
    assert [outcome.leader for outcome in outcomes] == [True, False, False]
    assert {outcome.value for outcome in outcomes} == {"media"}
    assert not flight.in_flight("k")

    async def broken() -> str:
        await asyncio.sleep(0.01)
        raise RuntimeError("render blew up")

    failing = [asyncio.create_task(flight.run("k", broken)) for _ in range(2)]
    results = await asyncio.gather(*failing, return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)


async def test_a_restarted_service_answers_a_known_hazard_from_the_cache_topic(
    kafka_bootstrap: str,
    topic_names: TopicNames,
    tmp_path: Path,
    unique_topic: Callable[[str], str],
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    first = FakeRenderer()
    async with running_service(settings, first):
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("one", "flood")])
        await read_records(kafka_bootstrap, topic_names.output, 1)
    # A new process on a fresh input topic and group (no waiting for the old member's
    # session to expire); what it shares with the first is only the cache topic.
    later = replace(
        settings, input_topic=unique_topic("cap.alerts"), group_id=unique_topic("group")
    )
    second = FakeRenderer()
    async with running_service(later, second):
        await produce_messages(kafka_bootstrap, later.input_topic, [cap_alert("two", "flood")])
        records = await read_records(kafka_bootstrap, topic_names.output, 2)
    assert [r["status"] for r in records] == ["rendered", "cached"]
    assert records[1]["media"] == records[0]["media"]
    assert first.hazards_rendered() == ["flood"]
    assert second.hazards_rendered() == []
