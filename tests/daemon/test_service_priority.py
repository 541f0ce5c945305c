"""Queue behaviour of the running service: priority, single flight, Cancel/Update, failures.

A renderer gated by an event holds the only worker busy, so the queue fills first and
the order in which renders start is the queue's order.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
    wait_until,
)


async def test_immediate_extreme_renders_before_minor_queued_earlier(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    low = {"urgency": "Future", "severity": "Minor", "certainty": "Possible"}
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("busy", "heat")])
        await wait_until(lambda: len(renderer.requests) == 1, what="first render to start")
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [
                cap_alert("minor-flood", "flood", **low),
                cap_alert("minor-fire", "wildfire", **low),
                cap_alert("minor-tornado", "tornado", **low),
                cap_alert("big-quake", "earthquake", urgency="Immediate", severity="Extreme"),
            ],
        )
        await wait_until(lambda: len(running.service.queue) == 4, what="queue to fill")
        gate.set()
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 5))
    order = renderer.hazards_rendered()
    assert order[:2] == ["heat", "earthquake"]
    assert sorted(order[2:]) == ["flood", "tornado", "wildfire"]
    assert all(record["status"] == "rendered" for record in records.values())


async def test_concurrent_misses_for_one_hazard_share_one_render(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderers = [FakeRenderer(gate=gate), FakeRenderer(gate=gate)]
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, renderers) as running:
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [cap_alert(f"flood-{index}", "flood") for index in range(4)],
        )
        # Two workers pick two flood alerts: the second joins the first's flight; the
        # other two wait in the queue and are served by that same render.
        await wait_until(lambda: len(running.service.queue) == 2, what="two queued")
        gate.set()
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 4))
    calls = sum(len(renderer.requests) for renderer in renderers)
    assert calls == 1
    statuses = sorted(record["status"] for record in records.values())
    assert statuses == ["cached", "cached", "cached", "rendered"]
    assert len({record["media"][0]["sha256"] for record in records.values()}) == 1


async def test_cancel_removes_queued_work_and_update_supersedes(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    later = sent + timedelta(minutes=1)
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("busy", "heat")])
        await wait_until(lambda: len(renderer.requests) == 1, what="first render to start")
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [cap_alert("flood-1", "flood", sent=sent), cap_alert("fire-1", "wildfire", sent=sent)],
        )
        await wait_until(lambda: len(running.service.queue) == 2, what="queue to fill")
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [
                cap_alert(
                    "flood-cancel",
                    "flood",
                    sent=later,
                    msg_type="Cancel",
                    references=(("flood-1", sent),),
                ),
                cap_alert(
                    "fire-2",
                    "wildfire",
                    sent=later,
                    msg_type="Update",
                    references=(("fire-1", sent),),
                ),
            ],
        )
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 3))
        assert records["flood-1"]["status"] == "cancelled"
        assert records["flood-1"]["reason"] == "cancelled"
        assert records["fire-1"]["status"] == "cancelled"
        assert records["fire-1"]["reason"] == "superseded"
        assert records["flood-cancel"]["status"] == "cancelled"
        gate.set()
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 5))
    assert records["fire-2"]["status"] == "rendered"
    assert records["busy"]["status"] == "rendered"
    assert renderer.hazards_rendered() == ["heat", "wildfire"]


async def test_failed_and_timed_out_renders_give_failed_records_and_work_goes_on(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    stuck = FakeRenderer(gate=gate, fail_hazards={"tornado"})
    # Without cards: the plain failed records (test_service_cards has the card fallback).
    settings = service_settings(
        kafka_bootstrap, topic_names, tmp_path, render_deadline_s=0.5, card_policy="off"
    )
    async with running_service(settings, stuck):
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("slow", "heat")])
        first = await read_records(kafka_bootstrap, topic_names.output, 1)
        gate.set()  # the abandoned thread ends; its renderer becomes free again
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [cap_alert("broken", "tornado"), cap_alert("fine", "flood")],
        )
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 3))
    assert first[0]["status"] == "failed"
    assert first[0]["reason"] == "deadline-exceeded"
    assert records["broken"]["status"] == "failed"
    assert records["broken"]["reason"] == "fake-failure"
    assert records["fine"]["status"] == "rendered"


async def test_full_queue_pauses_fetching_and_resumes_when_it_drains(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, queue_max=3)
    async with running_service(settings, renderer) as running:
        service = running.service
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("busy", "heat")])
        await wait_until(lambda: len(renderer.requests) == 1, what="first render to start")
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [cap_alert(f"flood-{index}", "flood") for index in range(6)],
        )
        await wait_until(
            lambda: service._consumer is not None and service._consumer.paused,
            what="fetching to pause",
        )
        assert len(service.queue) >= settings.queue_max
        gate.set()
        records = await read_records(kafka_bootstrap, topic_names.output, 7)
        await wait_until(
            lambda: service._consumer is not None and not service._consumer.paused,
            what="fetching to resume",
        )
    assert sorted(r["status"] for r in records).count("cached") == 5
