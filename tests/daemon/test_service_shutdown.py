"""Shutdown: in-flight renders finish within the grace and are committed; past it they
are abandoned uncommitted, so the next member gets them again."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from daemon.media.local_store import LocalDirectoryStore
from daemon.runtime.health import Health
from daemon.runtime.metrics import create_metrics
from daemon.runtime.settings import Settings
from daemon.service.app import AlertService, RendererWarmUpError
from daemon.service.render_workers import RenderWorkers
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import end_offsets, produce_messages
from tests.support.service_harness import running_service, service_settings, wait_until


async def committed(settings: Settings) -> int | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=settings.group_id
    )
    await consumer.start()
    try:
        offset: int | None = await consumer.committed(TopicPartition(settings.input_topic, 0))
    finally:
        await consumer.stop()
    return offset


async def test_in_flight_render_finishes_within_the_grace_and_is_committed(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    renderer = FakeRenderer(delay_s=1.0)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, shutdown_grace_s=10.0)
    async with running_service(settings, renderer):
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("slow", "flood")])
        await wait_until(lambda: len(renderer.requests) == 1, what="render to start")
        # leaving the block sets the stop event while the render is still running
    assert sum((await end_offsets(kafka_bootstrap, topic_names.output)).values()) == 1
    assert await committed(settings) == 1


async def test_render_past_the_grace_is_abandoned_and_not_committed(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, shutdown_grace_s=0.5)
    try:
        async with running_service(settings, renderer):
            await produce_messages(
                kafka_bootstrap, topic_names.input, [cap_alert("stuck", "flood")]
            )
            await wait_until(lambda: len(renderer.requests) == 1, what="render to start")
        assert sum((await end_offsets(kafka_bootstrap, topic_names.output)).values()) == 0
        assert await committed(settings) in (None, 0)
    finally:
        gate.set()
        await asyncio.sleep(0.05)


async def test_renderer_that_cannot_warm_up_stops_the_service_with_a_clear_error(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    metrics = create_metrics()
    health = Health(metrics=metrics)
    broken = FakeRenderer(warm_up_error=FileNotFoundError("weights/t2i missing"))
    service = AlertService(
        settings,
        RenderWorkers([broken], settings.render_deadline_s),
        LocalDirectoryStore(settings.media_dir, settings.resolved_media_base_url),
        metrics,
        health,
    )
    with pytest.raises(RendererWarmUpError, match="weights/t2i missing"):
        await asyncio.wait_for(service.run(asyncio.Event()), timeout=60)
    assert not health.readiness().ready
