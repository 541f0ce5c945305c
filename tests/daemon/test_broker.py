"""The embedded broker against real aiokafka clients and the shared fixtures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from daemon.kafka.broker import BrokerError, EmbeddedBroker, probe_kafka
from tests.support.kafka import (
    RawMessage,
    consume_messages,
    create_topics,
    end_offsets,
    produce_messages,
)


async def test_session_broker_round_trips_messages(
    kafka_bootstrap: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("roundtrip")
    await create_topics(kafka_bootstrap, [topic], partitions=2)
    sent = [
        RawMessage(value=b"first", key=b"k1", headers=(("h", b"1"),), partition=0),
        RawMessage(value=b"second", key=None, partition=1),
    ]
    await produce_messages(kafka_bootstrap, topic, sent)

    received = await consume_messages(kafka_bootstrap, topic, 2)

    assert sorted(received, key=lambda m: m.value or b"") == sorted(
        sent, key=lambda m: m.value or b""
    )
    assert await end_offsets(kafka_bootstrap, topic) == {0: 1, 1: 1}


def test_probe_reports_the_advertised_address(broker: EmbeddedBroker) -> None:
    assert probe_kafka(broker.host, broker.port) == (broker.host, broker.port)


def test_probe_fails_on_a_port_nobody_listens_on() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    with pytest.raises(OSError):
        probe_kafka("127.0.0.1", port, timeout_s=1.0)


def test_probe_rejects_a_server_that_is_not_kafka() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        # The listener never answers: the probe's short timeout must end the wait.
        with pytest.raises(OSError):
            probe_kafka("127.0.0.1", port, timeout_s=0.5)


async def test_restart_keeps_the_port_and_empties_storage(
    fresh_broker: EmbeddedBroker, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("restart")
    await create_topics(fresh_broker.bootstrap, [topic])
    await produce_messages(fresh_broker.bootstrap, topic, [b"before"])
    old_pid = fresh_broker.pid
    port = fresh_broker.port

    fresh_broker.restart(grace_s=5.0)

    assert fresh_broker.port == port
    assert fresh_broker.pid not in (None, old_pid)
    # In-memory storage: the topic is gone, and the broker serves new ones.
    await create_topics(fresh_broker.bootstrap, [topic])
    assert await end_offsets(fresh_broker.bootstrap, topic) == {0: 0}


def test_kill_stops_the_process_and_the_port_closes(fresh_broker: EmbeddedBroker) -> None:
    fresh_broker.kill()

    assert not fresh_broker.is_running()
    assert fresh_broker.pid is None
    with pytest.raises(OSError):
        probe_kafka(fresh_broker.host, fresh_broker.port, timeout_s=1.0)


def test_start_on_a_taken_port_fails_with_the_broker_log() -> None:
    with socket.socket() as occupant:
        occupant.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        occupant.bind(("127.0.0.1", 0))
        occupant.listen(1)
        taken = occupant.getsockname()[1]
        broker = EmbeddedBroker(port=taken, die_with_parent=True)
        try:
            with pytest.raises(BrokerError) as raised:
                broker.start(timeout_s=5.0)
        finally:
            broker.close()
    assert str(taken) in str(raised.value)
    assert "Address in use" in str(raised.value)  # the broker's own log is quoted
    assert not broker.is_running()


def test_starting_twice_is_refused(fresh_broker: EmbeddedBroker) -> None:
    with pytest.raises(BrokerError, match="already running"):
        fresh_broker.start()


def test_a_broker_started_from_a_worker_thread_outlives_that_thread(
    fresh_broker: EmbeddedBroker,
) -> None:
    fresh_broker.stop(grace_s=5.0)
    worker = threading.Thread(target=fresh_broker.start)
    worker.start()
    worker.join()

    # The thread is gone; the broker must still serve (no death signal bound to it).
    assert fresh_broker.is_running()
    assert probe_kafka(fresh_broker.host, fresh_broker.port) == (
        fresh_broker.host,
        fresh_broker.port,
    )
