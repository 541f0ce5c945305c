"""A bad record is not a dead broker: real broker, real service, real bad input.

Each test puts one kind of bad input among good alerts and checks that the bad one is
dead-lettered (or, where its bytes cannot be had, skipped with a metric and /readyz),
that the alerts after it are answered, and that the Kafka session was never torn down.
The bad inputs are real (a corrupt compressed batch stored by the broker, an oversized
record, an offset past the log); the one exception is a defect in message handling,
which no valid or invalid input causes by design, so that test makes the classifier
raise for one alert (a fault injected into one function; Kafka, the service and the
dead-letter path stay real).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.record.util import calc_crc32c
from aiokafka.structs import OffsetAndMetadata, TopicPartition

import daemon.service.messages
from daemon.kafka.partition_reader import REASON_UNDECODABLE
from daemon.service.publishing import DLQ_MAX_VALUE_BYTES, HEADER_VALUE_OMITTED
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import consume_messages, create_topics, produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
    wait_until,
)

pytestmark = pytest.mark.slow


def _alert(identifier: str) -> bytes:
    return cap_alert(identifier, "flood", sent=datetime.now(UTC).replace(microsecond=0))


# DefaultRecordBatch v2: the header is 61 bytes, its CRC-32C (bytes 17-20) covers byte 21
# to the end; the (compressed) records follow the header.
BATCH_HEADER_BYTES = 61
CRC_AT, CRC_FROM = 17, 21


async def _produce_one_corrupt_lz4_batch(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Several records in one lz4 batch whose compressed payload is damaged (its lz4 frame
    header zeroed) under a valid batch CRC: the broker stores it, and every client fails
    to decompress it (cramjam: ``ERROR_frameType_unknown``) — a real corrupt batch."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, compression_type="lz4", acks="all")
    await producer.start()
    try:
        batch = producer.create_batch()
        for value in values:
            assert batch.append(key=None, value=value, timestamp=None) is not None
        data = bytearray(batch._build())
        data[BATCH_HEADER_BYTES : BATCH_HEADER_BYTES + 4] = bytes(4)
        struct.pack_into(">I", data, CRC_AT, calc_crc32c(bytes(data[CRC_FROM:])))
        batch._buffer = data  # what the producer sends for this batch
        future = await producer.send_batch(batch, topic, partition=0)
        await future
    finally:
        await producer.stop()


def _headers(message_headers: tuple[tuple[str, bytes], ...]) -> dict[str, str]:
    return {name: value.decode() for name, value in message_headers}


async def test_undecodable_batch_is_skipped_and_the_partition_moves_on(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    await create_topics(kafka_bootstrap, [topic_names.input])
    await produce_messages(kafka_bootstrap, topic_names.input, [_alert("before-1")])
    await _produce_one_corrupt_lz4_batch(
        kafka_bootstrap, topic_names.input, [_alert("lost-1"), _alert("lost-2"), _alert("lost-3")]
    )
    await produce_messages(kafka_bootstrap, topic_names.input, [_alert("after-1")])
    async with running_service(settings, FakeRenderer()) as running:
        consumer = running.service._consumer
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        assert set(records) == {"before-1", "after-1"}
        skipped = running.metrics.registry.get_sample_value(
            "cinealert_input_records_skipped_total",
            {"topic": topic_names.input, "partition": "0", "reason": REASON_UNDECODABLE},
        )
        assert skipped == 3, "each offset of the batch is named and skipped once"
        readiness = running.health.readiness()
        assert readiness.ready and readiness.skipped_inputs == 3
        assert readiness.last_skipped is not None and readiness.last_skipped.offset == 3
        # The skipped offsets do not hold back the commit: lag drains to zero.
        await wait_until(
            lambda: (
                running.metrics.registry.get_sample_value(
                    "cinealert_consumer_lag_messages",
                    {"topic": topic_names.input, "partition": "0"},
                )
                == 0
            ),
            what="consumer lag to reach 0",
        )
        assert running.service._consumer is consumer, "the Kafka session was restarted"


async def test_a_message_whose_handling_fails_is_dead_lettered(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    real_classify = daemon.service.messages.classify_alert

    def classify_or_fail(alert: object) -> object:
        if getattr(alert, "identifier", "") == "boom-1":
            raise RuntimeError("classifier defect for boom-1")
        return real_classify(alert)  # type: ignore[arg-type]

    monkeypatch.setattr(daemon.service.messages, "classify_alert", classify_or_fail)
    async with running_service(settings, FakeRenderer()) as running:
        consumer = running.service._consumer
        await produce_messages(
            kafka_bootstrap,
            topic_names.input,
            [_alert("ok-1"), _alert("boom-1"), _alert("ok-2")],
        )
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        assert set(records) == {"ok-1", "ok-2"}
        (dead,) = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
        headers = _headers(dead.headers)
        assert headers["cinealert-error-code"] == "internal-error"
        assert "classifier defect for boom-1" in headers["cinealert-error-message"]
        assert headers["cinealert-source-offset"] == "1"
        assert headers["cinealert-item-index"] == "0"
        assert dead.value is not None and b"boom-1" in dead.value
        assert running.service._consumer is consumer


async def test_a_record_larger_than_the_fetch_size_reaches_the_dlq_without_its_value(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """The embedded broker returns an oversized first record whole (Kafka's KIP-74), so
    the daemon reads it; the parser refuses it; its DLQ copy would exceed a producer's
    request limit, so the value is left out and named in a header."""
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    huge = b"<alert>" + b"x" * (1536 * 1024)
    assert len(huge) > DLQ_MAX_VALUE_BYTES
    await create_topics(kafka_bootstrap, [topic_names.input])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=4 << 20)
    await producer.start()
    try:
        await producer.send_and_wait(topic_names.input, huge)
    finally:
        await producer.stop()
    await produce_messages(kafka_bootstrap, topic_names.input, [_alert("after-huge")])
    async with running_service(settings, FakeRenderer()):
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
        assert record["alert"]["identifier"] == "after-huge"
        (dead,) = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
        headers = _headers(dead.headers)
        assert dead.value == b""
        assert headers[HEADER_VALUE_OMITTED] == f"{len(huge)} bytes"
        assert headers["cinealert-source-offset"] == "0"


async def test_a_committed_offset_past_the_log_is_reset_loudly(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """As after retention deleted the records or the topic was recreated: the group's
    committed offset is beyond the log. The reset policy (earliest) applies, with a
    metric, and the alerts in the log are answered."""
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    await create_topics(kafka_bootstrap, [topic_names.input])
    await produce_messages(kafka_bootstrap, topic_names.input, [_alert("kept-1"), _alert("kept-2")])
    committer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=settings.group_id, enable_auto_commit=False
    )
    await committer.start()
    try:
        partition = TopicPartition(topic_names.input, 0)
        committer.assign([partition])
        await committer.commit({partition: OffsetAndMetadata(500, "")})
    finally:
        await committer.stop()
    async with running_service(settings, FakeRenderer()) as running:
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        assert set(records) == {"kept-1", "kept-2"}
        resets = running.metrics.registry.get_sample_value(
            "cinealert_input_offset_resets_total",
            {"topic": topic_names.input, "partition": "0", "policy": "earliest"},
        )
        assert resets == 1
