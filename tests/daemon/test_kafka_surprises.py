"""Kafka's everyday surprises, on a real broker: a recreated input topic, a broker that
stops answering for longer than the session timeout, and the settings that shape them."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from daemon.kafka.broker import EmbeddedBroker
from daemon.kafka.client_config import consumer_kwargs, producer_kwargs
from daemon.runtime.settings import Settings, SettingsError, load_settings
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import consume_messages, create_topics, produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
    wait_until,
)


def _alert(identifier: str) -> bytes:
    return cap_alert(identifier, "flood", sent=datetime.now(UTC).replace(microsecond=0))


def _lag(metrics: object, topic: str) -> float | None:
    registry = metrics.registry  # type: ignore[attr-defined]
    value: float | None = registry.get_sample_value(
        "cinealert_consumer_lag_messages", {"topic": topic, "partition": "0"}
    )
    return value


def test_kafka_settings_reach_the_clients() -> None:
    settings = Settings()
    consumer = consumer_kwargs(settings)
    assert consumer["isolation_level"] == "read_committed"
    # Resets are the reader's (loud) job, never aiokafka's quiet one.
    assert consumer["auto_offset_reset"] == "none"
    assert consumer["metadata_max_age_ms"] == 30_000
    assert producer_kwargs(settings)["compression_type"] is None
    zstd = load_settings(
        environ={"CINEALERT_KAFKA_COMPRESSION": "zstd", "CINEALERT_KAFKA_OFFSET_RESET": "latest"}
    )
    assert producer_kwargs(zstd)["compression_type"] == "zstd"
    assert zstd.kafka_offset_reset == "latest"
    for key, value in (
        ("CINEALERT_KAFKA_COMPRESSION", "brotli"),
        ("CINEALERT_KAFKA_ISOLATION_LEVEL", "dirty"),
        ("CINEALERT_KAFKA_OFFSET_RESET", "middle"),
    ):
        with pytest.raises(SettingsError, match=key):
            load_settings(environ={key: value})


@pytest.mark.slow
async def test_daemon_producers_compress_when_configured(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, kafka_compression="zstd")
    async with running_service(settings, FakeRenderer()):
        await produce_messages(kafka_bootstrap, topic_names.input, [_alert("zstd-1"), b"junk"])
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
        assert record["alert"]["identifier"] == "zstd-1"
        (dead,) = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
        assert dead.value == b"junk"


@pytest.mark.slow
async def test_input_topic_deleted_and_recreated(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """The group's committed offset may outlive the topic: on the new, shorter log it
    points past the end. The embedded broker answers such fetches with nothing (no
    error), so the reader notices the position beyond the high watermark and resets
    (earliest); the committed-offset-past-the-log case alone is in test_input_poison."""
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    await create_topics(kafka_bootstrap, [topic_names.input])
    first = [_alert(f"old-{n}") for n in range(3)]
    async with running_service(settings, FakeRenderer()) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, first)
        await read_records(kafka_bootstrap, topic_names.output, 3)
        await wait_until(lambda: _lag(running.metrics, topic_names.input) == 0, what="commit")
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic_names.input])
        finally:
            await admin.close()
        # The service notices the topic is gone, restarts its session and (create_topics
        # is on) creates it again, empty; then one new alert arrives.
        await asyncio.sleep(3)
        await create_topics(kafka_bootstrap, [topic_names.input])
        await produce_messages(kafka_bootstrap, topic_names.input, [_alert("new-1")])
        records = by_identifier(
            await read_records(kafka_bootstrap, topic_names.output, 4, timeout_s=90)
        )
        assert set(records) == {"old-0", "old-1", "old-2", "new-1"}
        # How it got there depends on what the broker kept of the group: with its
        # committed offset, the position is past the new log's end and is reset (a
        # metric); without it, the partition starts at the reset policy (a log line).
        # Either way the new alert is read and the old ones are not answered again.


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_broker_silent_longer_than_the_session_timeout(
    fresh_broker: EmbeddedBroker, topic_names: TopicNames, tmp_path: Path
) -> None:
    """A broker that stops answering (SIGSTOP) for longer than the group session timeout
    (10 s): the daemon reports it unready, keeps retrying, and once the broker answers
    again it rejoins and answers the alerts that arrived meanwhile, without repeating
    the ones it had finished."""
    bootstrap = fresh_broker.bootstrap
    settings = service_settings(bootstrap, topic_names, tmp_path)
    pid = fresh_broker.pid
    assert pid is not None
    async with running_service(settings, FakeRenderer()) as running:
        await produce_messages(bootstrap, topic_names.input, [_alert("before-stall")])
        await read_records(bootstrap, topic_names.output, 1)
        await wait_until(lambda: _lag(running.metrics, topic_names.input) == 0, what="commit")
        os.kill(pid, signal.SIGSTOP)
        try:
            await wait_until(
                lambda: not running.health.readiness().ready, timeout_s=30, what="unready"
            )
            await asyncio.sleep(12)
        finally:
            os.kill(pid, signal.SIGCONT)
        await produce_messages(bootstrap, topic_names.input, [_alert("after-stall")])
        await wait_until(lambda: running.health.readiness().ready, timeout_s=60, what="ready")
        records = await read_records(bootstrap, topic_names.output, 2, timeout_s=60)
        assert [r["alert"]["identifier"] for r in records] == ["before-stall", "after-stall"]
