"""Replays of the recorded streams (tests/streams) through the running service.

The streams and their `.expect.json` are authored by the taxonomy work; they are read
with the production stream reader and retimed so the first alert is sent "now".
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from daemon.streams.format import read_stream
from daemon.streams.retime import retime_messages
from tests.conftest import TopicNames
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import RawMessage, consume_messages, produce_messages
from tests.support.service_harness import (
    read_records,
    running_service,
    service_settings,
    wait_until,
)

pytestmark = pytest.mark.slow

STREAMS = Path(__file__).resolve().parents[1] / "streams"


def load(name: str) -> tuple[list[RawMessage], list[dict[str, Any]]]:
    """The stream's messages (retimed to now) and its expectations, line for line."""
    stream = read_stream(STREAMS / f"{name}.jsonl")
    messages, _, _ = retime_messages(stream.messages, datetime.now(UTC))
    expectations = json.loads((STREAMS / f"{name}.expect.json").read_text())
    assert len(expectations) == len(messages)
    raw = [RawMessage(value=m.value, key=m.key, headers=m.headers) for m in messages]
    return raw, expectations


async def test_storm_night_gives_each_valid_alert_one_record_and_dlqs_the_rest(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    messages, expectations = load("storm-night")
    wanted = [e for e in expectations if e["expect"] == "record"]
    dead = [e for e in expectations if e["expect"] == "dlq"]
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, FakeRenderer()) as running:
        sent = await produce_messages(kafka_bootstrap, topic_names.input, messages)
        records = await read_records(kafka_bootstrap, topic_names.output, len(wanted), 60)
        letters = await consume_messages(kafka_bootstrap, topic_names.dlq, len(dead), 30)
        duplicates = running.metrics.registry.get_sample_value("cinealert_duplicate_alerts_total")
    # Exactly one record per valid alert: the (sender, identifier) pairs match one to one.
    got = sorted((r["alert"]["sender"], r["alert"]["identifier"]) for r in records)
    assert got == sorted((e["sender"], e["identifier"]) for e in wanted)
    expected = {(e["sender"], e["identifier"]): e for e in wanted}
    for record in records:
        expectation = expected[(record["alert"]["sender"], record["alert"]["identifier"])]
        assert record["hazard"] == expectation["hazard"], record["alert"]["identifier"]
        assert record["status"] in expectation["status"], (record["status"], expectation)
    dead_offsets = sorted(int(dict(m.headers)["cinealert-source-offset"]) for m in letters)
    assert dead_offsets == sorted(sent[e["line"] - 2].offset or 0 for e in dead)
    assert duplicates == sum(1 for e in expectations if e["expect"] == "duplicate")


async def test_priority_burst_renders_the_urgent_four_before_queued_minor_ones(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    messages, expectations = load("priority-burst")
    gate = threading.Event()
    renderer = FakeRenderer(gate=gate)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, messages)
        # The first render holds the worker; everything else queues behind it.
        await wait_until(
            lambda: len(running.service.queue) == len(messages) - 1, what="the burst to queue"
        )
        gate.set()
        records = await read_records(kafka_bootstrap, topic_names.output, len(messages), 60)
    urgent = {e["hazard"] for e in expectations[-4:]}
    order = renderer.hazards_rendered()
    # Only a render that started before the urgent alerts arrived may precede them.
    after_start = order if order[0] in urgent else order[1:]
    assert set(after_start[:4]) == urgent, order
    assert len(order) == len(set(order))  # one render per hazard, the rest cache hits
    assert sorted(r["status"] for r in records).count("rendered") == len(order)
