"""The daemon end to end in-process: real broker, real service, fake renderer only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka.structs import TopicPartition

from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import RawMessage, consume_messages, produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
    wait_until,
)


async def test_each_valid_alert_gets_one_record_with_its_status(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    renderer = FakeRenderer()
    inputs = [
        cap_alert("flood-1", "flood", sent=now),
        cap_alert("quake-1", "earthquake", sent=now, urgency="Immediate", severity="Extreme"),
        cap_alert("amber-1", "none", sent=now),
        cap_alert("drill-1", "flood", sent=now, status="Exercise"),
        cap_alert("ack-1", "flood", sent=now, msg_type="Ack"),
        cap_alert(
            "old-1",
            "wildfire",
            sent=now - timedelta(days=2),
            expires=now - timedelta(days=1),
        ),
        b"<alert>not CAP at all",
        cap_alert("flood-1", "flood", sent=now),  # an exact duplicate: no second record
    ]
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, inputs)
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 6))
        dead = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
        metrics = running.metrics
        # the committer updates the lag gauge: everything finished, so it drops to zero
        await wait_until(
            lambda: (
                metrics.registry.get_sample_value(
                    "cinealert_consumer_lag_messages",
                    {"topic": topic_names.input, "partition": "0"},
                )
                == 0
            ),
            what="consumer lag to reach 0",
        )

    assert {key: record["status"] for key, record in records.items()} == {
        "flood-1": "rendered",
        "quake-1": "rendered",
        "amber-1": "skipped",
        "drill-1": "skipped",
        "ack-1": "skipped",
        "old-1": "expired",
    }
    assert records["quake-1"]["hazard"] == "earthquake"
    assert records["amber-1"]["reason"] == "no-hazard"
    assert records["quake-1"]["priority"]["band"] == "critical"
    assert records["flood-1"]["media"][0]["url"].startswith("http://media.test/media/")
    assert records["flood-1"]["source"]["topic"] == topic_names.input
    # the expired wildfire was never rendered
    assert sorted(renderer.hazards_rendered()) == ["earthquake", "flood"]
    headers = dict(dead[0].headers)
    assert dead[0].value == b"<alert>not CAP at all"
    assert headers["cinealert-source-topic"] == topic_names.input.encode()
    assert headers["cinealert-source-offset"] == b"6"
    assert headers["cinealert-error-code"]
    sample = metrics.registry.get_sample_value
    assert sample("cinealert_duplicate_alerts_total") == 1
    assert sample("cinealert_dlq_messages_total") == 1
    assert sample("cinealert_messages_consumed_total") == 8
    assert sample("cinealert_records_total", {"status": "rendered"}) == 2
    assert sample("cinealert_records_total", {"status": "skipped"}) == 3
    assert sample("cinealert_alert_to_record_seconds_count", {"status": "expired"}) == 1
    assert sample("cinealert_stage_duration_seconds_count", {"stage": "render"}) == 2
    assert sample("cinealert_last_successful_render_timestamp_seconds") > 0
    assert sample("cinealert_queue_depth", {"band": "critical"}) == 0
    assert sample("cinealert_renderer_ready") == 1


async def test_second_alert_of_a_hazard_is_a_cache_hit(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    renderer = FakeRenderer()
    async with running_service(settings, renderer) as running:
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("a", "flood")])
        first = await read_records(kafka_bootstrap, topic_names.output, 1)
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("b", "flood")])
        both = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        hits = running.metrics.registry.get_sample_value("cinealert_cache_hits_total")
    assert first[0]["status"] == "rendered"
    assert both["b"]["status"] == "cached"
    assert both["b"]["media"] == both["a"]["media"]
    assert renderer.hazards_rendered() == ["flood"]
    assert hits == 1


async def test_container_rejects_go_to_the_dlq_one_each(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    good = cap_alert("in-list", "heat").split(b"?>", 1)[1]
    bad = b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>'
    container = b"<alerts>" + good + bad + b"</alerts>"
    async with running_service(settings, FakeRenderer()):
        await produce_messages(
            kafka_bootstrap, topic_names.input, [RawMessage(value=container, key=b"c1")]
        )
        records = await read_records(kafka_bootstrap, topic_names.output, 1)
        dead = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
    assert records[0]["alert"]["identifier"] == "in-list"
    assert dict(dead[0].headers)["cinealert-item-index"] == b"1"
    assert dead[0].value == container


async def test_a_rewound_partition_is_read_again_without_second_records(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    async with running_service(settings, FakeRenderer()) as running:
        await produce_messages(
            kafka_bootstrap, topic_names.input, [cap_alert("r-1", "flood"), cap_alert("r-2")]
        )
        await read_records(kafka_bootstrap, topic_names.output, 2)
        consumer = running.service._consumer
        assert consumer is not None
        # What an offset reset does: the client's position goes back to the start.
        consumer._consumer.seek(TopicPartition(topic_names.input, 0), 0)
        sample = running.metrics.registry.get_sample_value
        await wait_until(
            lambda: sample("cinealert_duplicate_alerts_total") == 2, what="re-read as duplicates"
        )
        # One partition, handled in order: a second record for r-1 or r-2 would come before
        # the marker's.
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("r-3")])
        records = await read_records(kafka_bootstrap, topic_names.output, 3)
    assert [r["alert"]["identifier"] for r in records] == ["r-1", "r-2", "r-3"]
