"""The ingester's memory, in Kafka: what every feed answered last, which CAP documents
were fetched, which alerts were produced — across restarts and replicas, no local disk.

Two sources, read at start:

- the compacted state topic (``CINEALERT_INGEST_STATE_TOPIC``): one record per feed
  (its validators), per fetched document URL and per produced alert;
- the input topic's newest messages: every message the ingester produces carries its
  alert identity and body hash in headers, so an alert produced just before a crash
  (``kill -9`` between the produce and its state record) is known anyway and is not
  produced a second time.

Order of writes during a poll (``ingester``): the alert, then its state record; the
feed's validators last, once everything the poll found is on the topic — otherwise a
later 304 would hide an alert that never made it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from daemon.feeds.fetch import Validators
from daemon.runtime.logging_setup import get_logger

log = get_logger(__name__)

HEADER_IDENTITY = "cinealert-alert-identity"
HEADER_SHA256 = "cinealert-body-sha256"
HEADER_FEED = "cinealert-feed"
# Input messages produced this long before the newest state record are scanned too:
# the state record of a produced alert follows it within one poll.
SCAN_MARGIN_MS = 10 * 60 * 1000
READ_TIMEOUT_MS = 500
QUIET_POLLS = 2
METADATA_TRIES = 10


@dataclass
class IngestState:
    """The loaded state; ``remember_*`` write through to the state topic."""

    topic: str
    producer: AIOKafkaProducer | None = None
    validators: dict[str, Validators] = field(default_factory=dict)
    fetched_urls: set[str] = field(default_factory=set)
    produced_identities: set[str] = field(default_factory=set)
    produced_hashes: set[str] = field(default_factory=set)
    newest_ms: int = 0

    def already_produced(self, identity: str, sha256: str) -> bool:
        """The same alert (sender, identifier, sent) or the very same bytes went out."""
        return identity in self.produced_identities or sha256 in self.produced_hashes

    async def remember_alert(self, identity: str, sha256: str) -> None:
        self.produced_identities.add(identity)
        self.produced_hashes.add(sha256)
        await self._write(f"alert:{identity}", {"sha256": sha256})

    async def remember_url(self, url: str) -> None:
        self.fetched_urls.add(url)
        await self._write(f"url:{url}", {})

    async def remember_feed(self, name: str, validators: Validators) -> None:
        self.validators[name] = validators
        await self._write(
            f"feed:{name}",
            {
                "etag": validators.etag,
                "last_modified": validators.last_modified,
                "body_sha256": validators.body_sha256,
            },
        )

    async def _write(self, key: str, value: dict[str, Any]) -> None:
        if self.producer is None:
            return  # a state without a topic (unit tests, --once dry runs)
        await self.producer.send_and_wait(
            self.topic, value=json.dumps(value).encode(), key=key.encode()
        )

    def apply(self, key: bytes | None, value: bytes | None, timestamp_ms: int) -> None:
        """One state-topic record (tombstones and foreign records are ignored)."""
        self.newest_ms = max(self.newest_ms, timestamp_ms)
        if key is None or value is None:
            return
        text = key.decode("utf-8", "replace")
        kind, _, name = text.partition(":")
        try:
            data = json.loads(value)
        except ValueError:
            log.warning("ingest_state_record_invalid", key=text)
            return
        if kind == "feed" and isinstance(data, dict):
            self.validators[name] = Validators(
                etag=data.get("etag"),
                last_modified=data.get("last_modified"),
                body_sha256=data.get("body_sha256"),
            )
        elif kind == "url":
            self.fetched_urls.add(name)
        elif kind == "alert" and isinstance(data, dict):
            self.produced_identities.add(name)
            if isinstance(data.get("sha256"), str):
                self.produced_hashes.add(data["sha256"])

    def apply_input_headers(self, headers: Any) -> None:
        """Identity and hash from the headers of a message the ingester produced."""
        found = {key: value.decode("utf-8", "replace") for key, value in headers or ()}
        if HEADER_IDENTITY in found:
            self.produced_identities.add(found[HEADER_IDENTITY])
        if HEADER_SHA256 in found:
            self.produced_hashes.add(found[HEADER_SHA256])


async def load_state(
    client: Mapping[str, Any],
    state_topic: str,
    input_topic: str,
    producer: AIOKafkaProducer | None,
) -> IngestState:
    """Read the state topic to its end, then the input topic's newest messages.
    ``client``: the Kafka client arguments (``daemon.kafka.client_config.client_kwargs``)."""
    state = IngestState(state_topic, producer)
    for message in await _read_all(client, state_topic, since_ms=None):
        state.apply(message.key, message.value, message.timestamp)
    since = max(0, state.newest_ms - SCAN_MARGIN_MS) if state.newest_ms else 0
    scanned = 0
    for message in await _read_all(client, input_topic, since_ms=since):
        state.apply_input_headers(message.headers)
        scanned += 1
    log.info(
        "ingest_state_loaded",
        feeds=len(state.validators),
        urls=len(state.fetched_urls),
        alerts=len(state.produced_identities),
        input_messages_scanned=scanned,
    )
    return state


async def _read_all(client: Mapping[str, Any], topic: str, since_ms: int | None) -> list[Any]:
    """Every message of ``topic`` (from ``since_ms`` when given) up to its current end.
    A consumer of its own per topic: reassigning one consumer to a second topic right
    after reading the first was measured to read nothing on the embedded broker."""
    consumer = AIOKafkaConsumer(**client, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        return await _read_with(consumer, topic, since_ms)
    finally:
        await consumer.stop()


async def _read_with(consumer: AIOKafkaConsumer, topic: str, since_ms: int | None) -> list[Any]:
    known: set[int] | None = None
    for _ in range(METADATA_TRIES):
        await consumer.topics()  # refreshes metadata: a topic just created may lag
        known = consumer.partitions_for_topic(topic)
        if known:
            break
        await asyncio.sleep(0.2)
    partitions = [TopicPartition(topic, p) for p in sorted(known or ())]
    if not partitions:
        return []
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    if since_ms:
        found = await consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
        for partition in partitions:
            position = found.get(partition)
            if position is not None:
                consumer.seek(partition, position.offset)
    # Read until the log stays quiet, not to end_offsets(): the embedded broker (Tansu
    # 0.6) under-reports the end after some writes, and a missed last record would let
    # an alert be produced twice. Costs QUIET_POLLS x READ_TIMEOUT_MS once at start.
    messages: list[Any] = []
    quiet = 0
    while quiet < QUIET_POLLS:
        batches = await consumer.getmany(*partitions, timeout_ms=READ_TIMEOUT_MS)
        quiet = 0 if any(batches.values()) else quiet + 1
        for batch in batches.values():
            messages.extend(batch)
    return messages
