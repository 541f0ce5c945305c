"""A cache hit publishes URLs minted at publish time, not the ones stored with the entry.

Presigned S3 URLs live an hour while cache entries live a day; the cache therefore keeps
object keys and the service asks the store for a URL for every record. The store here is
the real local store with a counter in its URLs, standing in for presigning (the S3
store's own `url_for` is covered in tests/media).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from daemon.media.local_store import LocalDirectoryStore
from daemon.runtime.health import Health
from daemon.runtime.metrics import create_metrics
from daemon.service.app import AlertService
from daemon.service.render_workers import RenderWorkers
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import produce_messages
from tests.support.service_harness import by_identifier, read_records, service_settings


class SigningStore(LocalDirectoryStore):
    """Local files whose URLs carry a new signature each time one is minted."""

    def __init__(self, directory: Path, base_url: str) -> None:
        super().__init__(directory, base_url)
        self.signatures = 0

    def url_for(self, key: str) -> str:
        self.signatures += 1
        return f"{super().url_for(key)}?signature={self.signatures}"


async def test_a_cache_hit_gets_freshly_minted_media_urls(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    store = SigningStore(settings.media_dir, settings.resolved_media_base_url)
    metrics = create_metrics()
    health = Health(metrics=metrics)
    service = AlertService(settings, RenderWorkers([FakeRenderer()], 30.0), store, metrics, health)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        async with asyncio.timeout(30):
            while not health.readiness().ready:
                await asyncio.sleep(0.05)
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("flood-1", sent=now)])
        first = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 1))
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("flood-2", sent=now)])
        both = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    rendered, cached = first["flood-1"], both["flood-2"]
    assert (rendered["status"], cached["status"]) == ("rendered", "cached")
    for old, new in zip(rendered["media"], cached["media"], strict=True):
        old_path, old_signature = old["url"].split("?")
        new_path, new_signature = new["url"].split("?")
        assert new_path == old_path, "same object"
        assert new_signature != old_signature, "signed again for the cache hit"
        assert new["sha256"] == old["sha256"]
    assert cached["poster_url"].split("?")[0] == rendered["poster_url"].split("?")[0]
    assert cached["poster_url"] != rendered["poster_url"]
