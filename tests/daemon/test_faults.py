"""Faults with the real `cinealert run` process: kill -9, broker absent, broker restarted."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from daemon.kafka.broker import EmbeddedBroker, find_free_port
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.daemon_process import DaemonProcess
from tests.support.kafka import ConsumeTimeoutError, consume_messages, produce_messages
from tests.support.service_harness import decode_record

pytestmark = pytest.mark.slow

HAZARDS = ["flood", "wildfire", "earthquake", "tornado", "heat"]


def daemon_env(bootstrap: str, topics: TopicNames, media_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "CINEALERT_BOOTSTRAP_SERVERS": bootstrap,
        "CINEALERT_GROUP_ID": f"faults-{uuid.uuid4().hex[:8]}",
        "CINEALERT_INPUT_TOPIC": topics.input,
        "CINEALERT_OUTPUT_TOPIC": topics.output,
        "CINEALERT_DLQ_TOPIC": topics.dlq,
        "CINEALERT_CACHE_TOPIC": topics.cache,
        "CINEALERT_TOPIC_PARTITIONS": "2",
        "CINEALERT_MEDIA_DIR": str(media_dir),
        "CINEALERT_SHUTDOWN_GRACE_S": "5",
        **extra,
    }


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[list[DaemonProcess]]:
    """Daemon processes a test starts; all are killed at the end whatever happens."""
    started: list[DaemonProcess] = []
    yield started
    for process in started:
        process.kill()


def launch(env: dict[str, str], log: Path, daemons: list[DaemonProcess]) -> DaemonProcess:
    process = DaemonProcess(env, log)
    daemons.append(process)
    process.start()
    return process


async def committed_offsets(bootstrap: str, group: str, topics: TopicNames) -> dict[int, int]:
    """The group's committed offset per input partition (0 where nothing was committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        result = {}
        for partition in (0, 1):
            offset = await consumer.committed(TopicPartition(topics.input, partition))
            result[partition] = offset or 0
    finally:
        await consumer.stop()
    return result


async def test_kill_9_mid_stream_then_restart_loses_nothing(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    # A tiny TTL turns the cache off, so every alert is a slow render and several are
    # queued or in flight when the process dies.
    env = daemon_env(
        kafka_bootstrap,
        topic_names,
        tmp_path / "media",
        CINEALERT_CACHE_TTL_S="0.001",
        FAKE_RENDER_DELAY_S="0.25",
    )
    first = launch(env, tmp_path / "first.log", daemons)
    await asyncio.to_thread(first.wait_ready)
    alerts = [cap_alert(f"a-{index}", HAZARDS[index % len(HAZARDS)]) for index in range(24)]
    await produce_messages(kafka_bootstrap, topic_names.input, alerts)
    await consume_messages(kafka_bootstrap, topic_names.output, 8, timeout_s=60)
    first.kill()
    killed_at = datetime.now(UTC)
    committed = await committed_offsets(kafka_bootstrap, env["CINEALERT_GROUP_ID"], topic_names)

    second = launch(env, tmp_path / "second.log", daemons)
    await asyncio.to_thread(second.wait_ready)
    received = await consume_messages(kafka_bootstrap, topic_names.output, 24, timeout_s=90)
    # keep reading until every identifier is there (duplicates push the count up)
    while len({decode_record(m)["alert"]["identifier"] for m in received}) < 24:
        received = await consume_messages(
            kafka_bootstrap, topic_names.output, len(received) + 1, timeout_s=90
        )
    seen: dict[str, int] = {}
    for message in received:
        identifier = decode_record(message)["alert"]["identifier"]
        seen[identifier] = seen.get(identifier, 0) + 1
    assert set(seen) == {f"a-{index}" for index in range(24)}

    # Once the second daemon has committed every input message, nothing more can come:
    # read past the end to catch a late repeat.
    async def all_committed() -> bool:
        offsets = await committed_offsets(kafka_bootstrap, env["CINEALERT_GROUP_ID"], topic_names)
        return sum(offsets.values()) >= len(alerts)

    for _ in range(300):
        if await all_committed():
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the second daemon never committed every input message")
    with pytest.raises(ConsumeTimeoutError) as late:
        await consume_messages(kafka_bootstrap, topic_names.output, len(received) + 1, timeout_s=5)
    received = late.value.received
    seen = {}
    for message in received:
        identifier = decode_record(message)["alert"]["identifier"]
        seen[identifier] = seen.get(identifier, 0) + 1
    # The records published after the last commit were read back from the output topic
    # when the second daemon took the partitions: no alert is answered twice.
    repeated = {key: count for key, count in seen.items() if count > 1}
    # The alerts at risk: answered by the first daemon after its last commit.
    at_risk = {
        record["alert"]["identifier"]
        for record in map(decode_record, received)
        if datetime.fromisoformat(record["produced_at"]) < killed_at
        and record["source"]["offset"] >= committed.get(record["source"]["partition"], 0)
    }
    assert not repeated, (repeated, at_risk, committed)
    assert set(seen) == {f"a-{index}" for index in range(24)}
    assert {json.loads(m.value or b"{}")["status"] for m in received} <= {"rendered", "cached"}
    assert second.terminate() == 0


async def test_broker_absent_at_start_then_appears(
    topic_names: TopicNames, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    port = find_free_port()
    bootstrap = f"127.0.0.1:{port}"
    process = launch(
        daemon_env(bootstrap, topic_names, tmp_path / "m"), tmp_path / "d.log", daemons
    )
    await asyncio.sleep(3)
    assert process.is_running(), process.log_tail()
    assert not process.ready()
    broker = EmbeddedBroker(port=port, die_with_parent=True)
    try:
        await asyncio.to_thread(broker.start)
        await asyncio.to_thread(process.wait_ready, 60)
        await produce_messages(bootstrap, topic_names.input, [cap_alert("late", "flood")])
        records = await consume_messages(bootstrap, topic_names.output, 1, timeout_s=60)
        assert decode_record(records[0])["status"] == "rendered"
        assert process.terminate() == 0
        assert "broker_unavailable" in process.log_path.read_text()
    finally:
        broker.close()


async def test_broker_restart_mid_run_reconnects_and_goes_on(
    fresh_broker: EmbeddedBroker,
    topic_names: TopicNames,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    bootstrap = fresh_broker.bootstrap
    process = launch(
        daemon_env(bootstrap, topic_names, tmp_path / "m"), tmp_path / "d.log", daemons
    )
    await asyncio.to_thread(process.wait_ready, 60)
    await produce_messages(bootstrap, topic_names.input, [cap_alert("before", "flood")])
    await consume_messages(bootstrap, topic_names.output, 1, timeout_s=60)

    fresh_broker.kill()
    not_ready_seen = False
    for _ in range(100):
        if not process.ready():
            not_ready_seen = True
            break
        await asyncio.sleep(0.1)
    await asyncio.to_thread(fresh_broker.start)
    assert not_ready_seen, process.log_tail()
    assert process.is_running(), process.log_tail()
    await asyncio.to_thread(process.wait_ready, 90)
    # The in-memory broker came back empty; new alerts must flow again.
    await produce_messages(bootstrap, topic_names.input, [cap_alert("after", "wildfire")])
    records = await consume_messages(bootstrap, topic_names.output, 1, timeout_s=60)
    assert decode_record(records[0])["alert"]["identifier"] == "after"
    assert process.terminate() == 0


@pytest.mark.parametrize(
    "case",
    [
        ({"CINEALERT_QUEUE_MAXX": "5"}, 2, "CINEALERT_QUEUE_MAXX"),
        ({"CINEALERT_RENDERER": "tests.support.no_such_module:build"}, 1, "no_such_module"),
    ],
)
async def test_bad_configuration_fails_at_start_with_a_clear_message(
    topic_names: TopicNames,
    tmp_path: Path,
    daemons: list[DaemonProcess],
    case: tuple[dict[str, str], int, str],
) -> None:
    extra, status, message = case
    env = daemon_env("127.0.0.1:1", topic_names, tmp_path / "m", **extra)
    process = launch(env, tmp_path / "d.log", daemons)
    assert await asyncio.to_thread(process.wait_exit, 60) == status
    assert message in process.log_tail()
