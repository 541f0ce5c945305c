"""Alert cards in the running service (real broker, real card renderer, real media store):
``card_policy=fallback`` gives a failed or timed-out render a card, ``only`` draws cards
instead of renders, ``off`` keeps the plain ``failed`` record."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from PIL import Image

from daemon.service.renderer_factory import build_renderers
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
)


def _stored(media_dir: Path, url: str) -> Path:
    return media_dir / url.rsplit("/", 1)[1]


def _assert_card(record: dict[str, Any], media_dir: Path, reason: str | None) -> None:
    assert record["status"] == "rendered"
    assert record["kind"] == "card"
    assert record["reason"] == reason
    assert set(record["models"]) == {"card"}
    assert {item["format"] for item in record["media"]} == {"gif", "webp", "mp4"}
    gif = next(item for item in record["media"] if item["format"] == "gif")
    with Image.open(_stored(media_dir, gif["url"])) as image:
        assert image.size == (512, 512)
        assert image.n_frames == gif["frames"] > 1
    assert _stored(media_dir, record["poster_url"]).stat().st_size > 0
    assert "Alert card" in record["alt_text"] or "alert card" in record["alt_text"]


async def test_fallback_gives_a_failed_render_a_card(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    renderer = FakeRenderer(fail_hazards={"tornado"})
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    assert settings.card_policy == "fallback"  # the default
    async with running_service(settings, renderer) as running:
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [cap_alert("broken", "tornado"), cap_alert("fine", "flood")],
        )
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        fallbacks = running.metrics.registry.get_sample_value(
            "cinealert_card_fallbacks_total", {"reason": "fake-failure"}
        )
    assert fallbacks == 1  # a failed render stays visible to operators
    _assert_card(records["broken"], tmp_path, reason="fake-failure")
    assert records["fine"]["kind"] == "animation"
    assert records["fine"]["reason"] is None


async def test_fallback_gives_a_render_past_its_deadline_a_card(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, render_deadline_s=0.5)
    try:
        async with running_service(settings, FakeRenderer(gate=gate)):
            await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("slow", "heat")])
            (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
    finally:
        gate.set()
    _assert_card(record, tmp_path, reason="deadline-exceeded")


async def test_off_keeps_the_failed_record_without_media(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    renderer = FakeRenderer(fail_hazards={"tornado"})
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, card_policy="off")
    async with running_service(settings, renderer):
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("broken", "tornado")])
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
    assert record["status"] == "failed"
    assert record["media"] == [] and record["kind"] is None


async def test_only_draws_cards_without_any_model(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """No renderer plug-in and no pipeline: the card renderers the factory builds. Two
    alerts that say the same thing share one card; a different text gets its own."""
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, card_policy="only")
    renderers = build_renderers(settings)
    assert {renderer.profile for renderer in renderers} == {"card"}
    async with running_service(settings, renderers):
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [
                cap_alert("first", "flood"),
                cap_alert("other-area", "flood", severity="Extreme"),
            ],
        )
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
    for record in records.values():
        _assert_card(record, tmp_path, reason=None)
    posters = {record["poster_url"] for record in records.values()}
    assert len(posters) == 2  # different severity: different colours, different card


async def test_first_publishes_a_card_at_once_then_the_terminal_record(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """The card comes while the render still runs; the render's record comes after it,
    under the same key, so a compacted output topic keeps the terminal record."""
    gate = threading.Event()
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, card_policy="first")
    try:
        async with running_service(settings, FakeRenderer(gate=gate)):
            await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("a-1", "flood")])
            (provisional,) = await read_records(kafka_bootstrap, topic_names.output, 1)
            gate.set()
            records = await read_records(kafka_bootstrap, topic_names.output, 2)
    finally:
        gate.set()
    assert provisional["status"] == "provisional"
    _assert_card_media(provisional, tmp_path)
    assert [record["status"] for record in records] == ["provisional", "rendered"]
    assert records[1]["kind"] == "animation"


async def test_first_never_lets_a_card_land_after_the_terminal_record(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """Renders faster than cards (an instant fake renderer), a failed render and a cache
    hit: per alert key the last record on the topic is always the terminal one."""
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, card_policy="first")
    renderer = FakeRenderer(fail_hazards={"tornado"})
    alerts = [cap_alert(f"fast-{hazard}", hazard) for hazard in ("flood", "heat", "wildfire")]
    alerts.append(cap_alert("broken", "tornado"))
    async with running_service(settings, renderer):
        await produce_messages(kafka_bootstrap, topic_names.input, alerts)
        # Three hazards, three renders, each alert with its card; the tornado's render fails.
        records = await read_records(kafka_bootstrap, topic_names.output, 8, timeout_s=60)
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("later", "flood")])
        (hit,) = (await read_records(kafka_bootstrap, topic_names.output, 9))[8:]
    last: dict[str, dict[str, Any]] = {}
    seen_provisional: dict[str, dict[str, Any]] = {}
    for record in records:
        identifier = record["alert"]["identifier"]
        assert identifier not in last or last[identifier]["status"] == "provisional", (
            f"{identifier}: a record after its terminal one"
        )
        if record["status"] == "provisional":
            seen_provisional[identifier] = record
        last[identifier] = record
    assert set(seen_provisional) == {"fast-flood", "fast-heat", "fast-wildfire", "broken"}
    assert all(record["status"] != "provisional" for record in last.values())
    broken = last["broken"]
    assert broken["status"] == "rendered" and broken["kind"] == "card"
    assert broken["reason"] == "fake-failure"
    # The failed render's record reuses the card already drawn and published.
    assert broken["poster_url"] == seen_provisional["broken"]["poster_url"]
    # A cache hit is answered at once: no card ahead of it.
    assert hit["alert"]["identifier"] == "later" and hit["status"] == "cached"


def _assert_card_media(record: dict[str, Any], media_dir: Path) -> None:
    assert record["kind"] == "card"
    assert {item["format"] for item in record["media"]} == {"gif", "webp", "mp4"}
    assert _stored(media_dir, record["poster_url"]).stat().st_size > 0


def test_only_never_imports_torch() -> None:
    """A GPU-less `only` daemon loads no model framework: its renderers and the service
    modules import and warm up without torch."""
    program = (
        "import sys\n"
        "from daemon.runtime.settings import Settings\n"
        "from daemon.service.app import AlertService\n"
        "from daemon.service.renderer_factory import build_renderers\n"
        "renderers = build_renderers(Settings(card_policy='only'))\n"
        "for renderer in renderers: renderer.warm_up()\n"
        "print('torch' in sys.modules, len(renderers))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    torch_loaded, count = result.stdout.split()
    assert torch_loaded == "False"
    assert int(count) >= 1
