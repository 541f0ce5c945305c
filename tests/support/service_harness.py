"""Runs the real AlertService in the test's event loop against a real broker.

Only the renderer is a test double (tests/support/fake_renderer.py); Kafka, the local
media store, metrics and health are the production classes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from daemon.media.local_store import LocalDirectoryStore
from daemon.runtime.health import Health
from daemon.runtime.metrics import Metrics, create_metrics
from daemon.runtime.settings import Settings
from daemon.service.app import AlertService
from daemon.service.records import record_schema
from daemon.service.render_workers import RenderWorkers
from pipeline.interface import Renderer
from tests.support.kafka import RawMessage, consume_messages

RECORD_VALIDATOR = jsonschema.Draft202012Validator(
    record_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def service_settings(bootstrap: str, topics: Any, media_dir: Path, **overrides: Any) -> Settings:
    """Settings for one test: its own topics and group, local media under ``media_dir``."""
    values: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": f"cinealert-test-{uuid.uuid4().hex[:10]}",
        "input_topic": topics.input,
        "output_topic": topics.output,
        "dlq_topic": topics.dlq,
        "cache_topic": topics.cache,
        "topic_partitions": 1,
        "http_port": 0,
        "media_dir": media_dir,
        "media_base_url": "http://media.test/media",
        "shutdown_grace_s": 5.0,
        "render_deadline_s": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningService:
    """A service started by `running_service`, with the parts tests look at."""

    service: AlertService
    metrics: Metrics
    health: Health
    task: asyncio.Task[None]


@asynccontextmanager
async def running_service(
    settings: Settings,
    renderer: Renderer | list[Renderer],
    ready_timeout_s: float = 30.0,
) -> AsyncIterator[RunningService]:
    """Start the service, wait until /readyz would say ready, stop it (SIGTERM path) after."""
    metrics = create_metrics()
    health = Health(metrics=metrics)
    renderers = renderer if isinstance(renderer, list) else [renderer]
    workers = RenderWorkers(renderers, settings.render_deadline_s)
    store = LocalDirectoryStore(settings.media_dir, settings.resolved_media_base_url)
    service = AlertService(settings, workers, store, metrics, health)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        async with asyncio.timeout(ready_timeout_s):
            while not health.readiness().ready:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield RunningService(service, metrics, health, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=settings.shutdown_grace_s + 30)
        await store.close()


async def read_records(
    bootstrap: str, topic: str, count: int, timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """Read ``count`` output records, validating each against the published JSON Schema."""
    messages = await consume_messages(bootstrap, topic, count, timeout_s)
    return [decode_record(message) for message in messages]


def decode_record(message: RawMessage) -> dict[str, Any]:
    """Parse one output message, check it against the schema and its key."""
    assert message.value is not None
    record: dict[str, Any] = json.loads(message.value)
    RECORD_VALIDATOR.validate(record)
    assert message.key == record["alert"]["identifier"].encode()
    return record


def by_identifier(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records keyed by alert identifier (fails on a repeated identifier)."""
    result: dict[str, dict[str, Any]] = {}
    for record in records:
        identifier = record["alert"]["identifier"]
        assert identifier not in result, f"two records for {identifier}"
        result[identifier] = record
    return result


async def wait_until(condition: Any, timeout_s: float = 30.0, what: str = "condition") -> None:
    """Poll ``condition()`` until true; fail naming ``what`` after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError as error:
        raise AssertionError(f"timed out waiting for {what}") from error
