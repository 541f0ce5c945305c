"""Alerts that expire while they wait for a renderer are not rendered.

An alert valid on arrival is queued behind a render held by a gated fake renderer; the
gate opens only after its ``expires`` has passed. Whether it waited in the priority
queue, was queued for the hazard being rendered, or joined that render's single flight,
it must get exactly one ``expired`` record and never reach the renderer.
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

# Far enough ahead that the alert is surely still valid when the daemon consumes it
# (the queue-length wait below proves it was queued, not expired on arrival).
EXPIRES_IN = timedelta(seconds=6)


async def _wait_past(moment: datetime) -> None:
    await wait_until(
        lambda: datetime.now(UTC) > moment,
        timeout_s=EXPIRES_IN.total_seconds() + 30,
        what=f"wall clock to pass {moment.isoformat()}",
    )


async def test_alert_expiring_in_the_queue_gets_expired_and_is_not_rendered(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("busy", "flood")])
        await wait_until(lambda: len(renderer.requests) == 1, what="first render to start")
        expires = datetime.now(UTC) + EXPIRES_IN
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [
                # another hazard: popped from the queue after it expired
                cap_alert("late-quake", "earthquake", expires=expires),
                # the hazard being rendered: served when that render ends, expired by then
                cap_alert("late-flood", "flood", expires=expires),
                # control: waits just as long but does not expire, so it is rendered
                cap_alert("fresh-tornado", "tornado"),
            ],
        )
        await wait_until(lambda: len(running.service.queue) == 3, what="three alerts queued")
        await _wait_past(expires)
        gate.set()
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 4))
        sample = running.metrics.registry.get_sample_value
        assert sample("cinealert_records_total", {"status": "expired"}) == 2
        assert sample("cinealert_records_total", {"status": "rendered"}) == 2

    assert {key: record["status"] for key, record in records.items()} == {
        "busy": "rendered",
        "late-quake": "expired",
        "late-flood": "expired",
        "fresh-tornado": "rendered",
    }
    assert records["late-quake"]["reason"] == "all-infos-expired"
    assert records["late-flood"]["reason"] == "all-infos-expired"
    assert records["late-flood"]["media"] == []
    assert renderer.hazards_rendered() == ["flood", "tornado"]


async def test_single_flight_follower_that_expires_meanwhile_gets_expired(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    gate = threading.Event()
    renderers = [FakeRenderer(gate=gate), FakeRenderer(gate=gate)]
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, renderers) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("busy", "flood")])
        await wait_until(
            lambda: sum(len(renderer.requests) for renderer in renderers) == 1,
            what="first render to start",
        )
        expires = datetime.now(UTC) + EXPIRES_IN
        await produce_messages(
            kafka_bootstrap, topic_names.input, [cap_alert("late-flood", "flood", expires=expires)]
        )
        sample = running.metrics.registry.get_sample_value
        # The second worker took it from the queue (valid then) and, with no await in
        # between, joined the running flood render as a follower.
        await wait_until(
            lambda: sample("cinealert_stage_duration_seconds_count", {"stage": "queue_wait"}) == 2,
            what="second alert taken by the other worker",
        )
        await _wait_past(expires)
        gate.set()
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))

    assert records["busy"]["status"] == "rendered"
    assert records["late-flood"]["status"] == "expired"
    assert records["late-flood"]["reason"] == "all-infos-expired"
    assert sum(len(renderer.requests) for renderer in renderers) == 1
