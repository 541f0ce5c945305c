"""Fixtures shared by every test module. Keep this file import-light (no torch here).

- ``broker``: one embedded Tansu broker for the whole session (real process, real TCP).
- ``kafka_bootstrap``: its ``host:port``.
- ``fresh_broker``: a broker of the test's own, for fault tests that kill or restart it.
- ``unique_topic``: ``unique_topic("alerts")`` -> ``"alerts-3f2a..."``; never collides.
- ``topic_names``: a TopicNames with unique input/output/dlq/cache names.
- ``shared_dir``: the ``shared/`` folder beside the checkout (skips when absent).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.kafka.broker import BrokerError, EmbeddedBroker
from tests.support.kafka import TopicNames

# The SeaweedFS ``s3_server`` session fixture, shared by every test package.
pytest_plugins = ("tests.support.seaweed_fixtures",)

SHARED_DIR = Path(__file__).resolve().parents[1] / ".." / "shared"


def _start_broker() -> EmbeddedBroker:
    # A free port can be taken by another process between our probe and the broker's
    # bind (several engineers run tests at once); try a few fresh ports.
    errors: list[str] = []
    for _attempt in range(3):
        broker = EmbeddedBroker(die_with_parent=True)
        try:
            broker.start(timeout_s=30.0)
        except BrokerError as error:
            broker.close()
            errors.append(str(error))
            continue
        return broker
    raise BrokerError("could not start the embedded broker: " + " | ".join(errors))


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """The session's embedded broker (in-memory; topics from other tests are visible)."""
    started = _start_broker()
    yield started
    started.close()


@pytest.fixture
def kafka_bootstrap(broker: EmbeddedBroker) -> str:
    """``host:port`` of the session broker."""
    if not broker.is_running():
        raise BrokerError(f"session broker at {broker.bootstrap} died; log:\n{broker.log_tail()}")
    return broker.bootstrap


@pytest.fixture
def fresh_broker() -> Iterator[EmbeddedBroker]:
    """A broker only this test uses; kill/restart it freely."""
    started = _start_broker()
    yield started
    started.close()


@pytest.fixture
def unique_topic() -> Callable[[str], str]:
    """Factory of topic names with a random suffix."""

    def make(prefix: str = "topic") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def topic_names(unique_topic: Callable[[str], str]) -> TopicNames:
    """Unique input/output/dlq/cache topic names for one test."""
    return TopicNames(
        input=unique_topic("cap.alerts"),
        output=unique_topic("cap.media"),
        dlq=unique_topic("cap.alerts.dlq"),
        cache=unique_topic("cap.media.cache"),
    )


@pytest.fixture
def shared_dir() -> Path:
    """``shared/`` beside the checkout (CAP corpus, DESIGN.md); skips when absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} not present")
    return SHARED_DIR.resolve()
