"""`cinealert ingest` end to end: a real local HTTP server that answers like publishers
(an index with a broken link, a fat EDXL-DE feed, Korean JSON, signed and tampered CAP),
the real embedded Kafka broker, state across runs, and kill -9 in the middle of a poll."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer

from cap.document import parse_document
from daemon.commands.ingest import serve
from daemon.feeds.feed_list import FeedSpec, feed_from_table
from daemon.feeds.state import load_state
from daemon.runtime.settings import Settings
from daemon.service.renderer_factory import build_renderers
from tests.cap.cap_fixtures import fixture_bytes
from tests.cap.signing import make_ca, make_signer, sign_alert
from tests.conftest import TopicNames
from tests.support import librdkafka
from tests.support.cap_alerts import cap_alert
from tests.support.kafka import (
    RawMessage,
    consume_messages,
    create_topics,
    end_offsets,
    produce_messages,
)
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
)

KOREAN = (Path(__file__).parent / "fixtures" / "kr_disaster_messages.json").read_bytes()
SIGNED_SENDER = "signed@example.org"


@dataclass
class Publisher:
    """What the local server serves; tests change it between polls."""

    documents: dict[str, bytes] = field(default_factory=dict)
    index: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)  # index entries stating a past expiry
    delay_s: float = 0.0
    requests: list[str] = field(default_factory=list)

    def index_bytes(self) -> bytes:
        old = "<cap:expires>2001-01-01T00:00:00+00:00</cap:expires>"
        entries = "".join(
            f"<entry><id>{name}</id><title>{name}</title><updated>2026-12-06T00:00:00Z</updated>"
            f'<link rel="alternate" type="application/cap+xml" href="/cap/{name}"/>'
            f"{old if name in self.expired else ''}</entry>"
            for name in self.index
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"><id>urn:test:index</id>'
            f"<title>test index</title><updated>2026-12-06T00:00:00Z</updated>{entries}</feed>"
        ).encode()


PUBLISHER = web.AppKey("publisher", Publisher)


async def _index(request: web.Request) -> web.StreamResponse:
    publisher = request.app[PUBLISHER]
    publisher.requests.append(request.path)
    body = publisher.index_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, content_type="application/atom+xml", headers={"ETag": etag})


async def _document(request: web.Request) -> web.StreamResponse:
    publisher = request.app[PUBLISHER]
    publisher.requests.append(request.path)
    if publisher.delay_s:
        await asyncio.sleep(publisher.delay_s)
    data = publisher.documents.get(request.match_info["name"])
    if data is None:
        return web.Response(status=404, text="not found")
    return web.Response(body=data, content_type="application/xml")


@pytest.fixture
async def publisher() -> AsyncIterator[tuple[Publisher, str]]:
    state = Publisher()
    app = web.Application()
    app[PUBLISHER] = state
    app.router.add_get("/index.atom", _index)
    app.router.add_get("/cap/{name}", _document)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield state, f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _settings(bootstrap: str, topics: TopicNames, origin: str) -> Settings:
    return Settings(
        bootstrap_servers=bootstrap,
        input_topic=topics.input,
        output_topic=topics.output,
        dlq_topic=topics.dlq,
        cache_topic=topics.cache,
        ingest_state_topic=topics.cache + ".ingest",
        ingest_allowed_hosts=origin,
        topic_partitions=1,
        http_port=0,
    )


def _feed(name: str, url: str, **extra: object) -> FeedSpec:
    return feed_from_table({"name": name, "url": url, **extra})


async def _count(bootstrap: str, topic: str) -> int:
    """Messages in ``topic``, read until it stays quiet (the embedded broker's end
    offsets can lag behind what it holds)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        count, quiet = 0, 0
        while quiet < 3:
            batches = await consumer.getmany(timeout_ms=500)
            count += sum(len(batch) for batch in batches.values())
            quiet = 0 if batches else quiet + 1
        return count
    finally:
        await consumer.stop()


def _identities(messages: list[RawMessage]) -> list[str]:
    return [dict(m.headers)["cinealert-alert-identity"].decode() for m in messages]


async def test_one_poll_of_every_kind_of_feed_then_nothing_twice(
    kafka_bootstrap: str,
    topic_names: TopicNames,
    publisher: tuple[Publisher, str],
    tmp_path: Path,
) -> None:
    server, origin = publisher
    ca = make_ca()
    signer = make_signer(ca)
    trust = tmp_path / "ca.pem"
    trust.write_bytes(ca.pem)
    server.documents = {
        "a.xml": cap_alert("idx-a", "flood"),
        "b.xml": cap_alert("idx-b", "heat"),
        "fat.xml": fixture_bytes("edxl_de_1_0.xml"),
        "kr.json": KOREAN,
        "signed.xml": sign_alert(signer, data=cap_alert("sig-1", "flood", sender=SIGNED_SENDER)),
        "tampered.xml": sign_alert(
            signer, data=cap_alert("sig-2", "flood", sender=SIGNED_SENDER)
        ).replace(b"for test county", b"for test countY"),
        "html.xml": b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
    }
    server.index = ["a.xml", "b.xml", "missing.xml", "expired.xml"]
    server.expired = {"expired.xml"}  # its entry says it expired: never fetched
    base = f"http://{origin}"
    signed = {"signature_policy": "require", "trust_store": str(trust), "format": "cap"}
    feeds = [
        _feed("index", f"{base}/index.atom", format="atom-index"),
        _feed("fat", f"{base}/cap/fat.xml", format="edxl-de"),
        _feed("korea", f"{base}/cap/kr.json", format="kr-disaster-message"),
        _feed("signed", f"{base}/cap/signed.xml", **signed),
        _feed("tampered", f"{base}/cap/tampered.xml", **signed),
        _feed("broken", f"{base}/cap/html.xml"),
    ]
    settings = _settings(kafka_bootstrap, topic_names, origin)
    fat_alerts = len(parse_document(server.documents["fat.xml"]).alerts)
    # A 404 link and an HTML page make the poll fail (exit 1), but nothing else is lost.
    assert await serve(settings, feeds, once=True) == 1
    expected = 2 + fat_alerts + 3 + 1
    produced = await consume_messages(kafka_bootstrap, topic_names.input, expected)
    identities = _identities(produced)
    assert len(set(identities)) == expected
    assert any("|idx-a|" in i for i in identities) and any("|sig-1|" in i for i in identities)
    assert sum("KR.MOIS.CBS." in i for i in identities) == 3
    keys = {m.key for m in produced}
    assert f"{SIGNED_SENDER}|sig-1".encode() in keys
    assert "/cap/expired.xml" not in server.requests
    (dead,) = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["cinealert-error-code"] == "signature-invalid"
    assert headers["cinealert-feed"] == "tampered"

    # The link is fixed and an alert leaves the index: a second run produces nothing
    # new (state from Kafka), and the alert gone from the feed is not cancelled.
    server.index = ["a.xml"]
    feeds = [feed for feed in feeds if feed.name != "broken"]
    assert await serve(settings, feeds, once=True) == 0
    assert await _count(kafka_bootstrap, topic_names.input) == expected
    # Unchanged documents (same bytes) are not read again: no second dead letter either.
    assert await _count(kafka_bootstrap, topic_names.dlq) == 1
    # Validators were stored this time: the third poll of the index is a 304.
    server.requests.clear()
    await serve(settings, [feeds[0]], once=True)
    assert server.requests == ["/index.atom"]
    assert await _count(kafka_bootstrap, topic_names.input) == expected


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_kill_9_in_the_middle_of_a_poll_loses_and_repeats_nothing(
    kafka_bootstrap: str,
    topic_names: TopicNames,
    publisher: tuple[Publisher, str],
    tmp_path: Path,
) -> None:
    server, origin = publisher
    names = [f"k{n}.xml" for n in range(12)]
    server.documents = {name: cap_alert(f"kill-{name}", "flood") for name in names}
    server.index = names
    server.delay_s = 0.4  # each linked document takes a while: the kill lands mid-poll
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feed]]\nname = "slow"\nurl = "http://{origin}/index.atom"\nformat = "atom-index"\n'
    )
    settings = _settings(kafka_bootstrap, topic_names, origin)
    environment = {
        **os.environ,
        "CINEALERT_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CINEALERT_INPUT_TOPIC": settings.input_topic,
        "CINEALERT_OUTPUT_TOPIC": settings.output_topic,
        "CINEALERT_DLQ_TOPIC": settings.dlq_topic,
        "CINEALERT_CACHE_TOPIC": settings.cache_topic,
        "CINEALERT_INGEST_STATE_TOPIC": settings.ingest_state_topic,
        "CINEALERT_INGEST_ALLOWED_HOSTS": origin,
        "CINEALERT_TOPIC_PARTITIONS": "1",
        "CINEALERT_HTTP_PORT": "0",
    }
    await create_topics(kafka_bootstrap, [settings.input_topic])
    child = subprocess.Popen(
        [sys.executable, "-m", "daemon.cli", "ingest", "--feeds", str(feeds_file)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            # end_offsets is quick (and may lag a record behind: fine for a trigger).
            produced = sum((await end_offsets(kafka_bootstrap, topic_names.input)).values())
            if produced >= 3:
                break
            await asyncio.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert 3 <= produced < len(names), "the kill must land in the middle of the poll"
    server.delay_s = 0.0
    slow = _feed("slow", f"http://{origin}/index.atom", format="atom-index")
    assert await serve(settings, [slow], once=True) == 0
    total = await _count(kafka_bootstrap, topic_names.input)
    messages = await consume_messages(kafka_bootstrap, topic_names.input, total)
    identities = _identities(messages)
    assert sorted(i.split("|")[1] for i in identities) == sorted(f"kill-{n}" for n in names)


async def test_an_alert_produced_just_before_a_crash_is_known_from_the_input_topic(
    kafka_bootstrap: str, topic_names: TopicNames, publisher: tuple[Publisher, str]
) -> None:
    """kill -9 between an alert's produce and its state record: the message's headers on
    the input topic are enough for the next start to know it was produced."""
    _, origin = publisher
    settings = _settings(kafka_bootstrap, topic_names, origin)
    identity = "s@example.org|lost-state-1|2026-12-06T00:00:00+00:00"
    await create_topics(kafka_bootstrap, [settings.input_topic, settings.ingest_state_topic])
    await produce_messages(
        kafka_bootstrap,
        settings.input_topic,
        [
            RawMessage(
                b"<alert/>",
                key=b"s@example.org|lost-state-1",
                headers=(
                    ("cinealert-alert-identity", identity.encode()),
                    ("cinealert-body-sha256", b"0" * 64),
                ),
            )
        ],
    )
    state = await load_state(
        {"bootstrap_servers": kafka_bootstrap},
        settings.ingest_state_topic,
        settings.input_topic,
        producer=None,
    )
    assert state.already_produced(identity, "another hash")
    assert state.already_produced("other|identity|x", "0" * 64)
    assert not state.already_produced("other|identity|x", "1" * 64)


async def test_ingested_alerts_reach_the_daemon_and_get_their_records(
    kafka_bootstrap: str,
    topic_names: TopicNames,
    publisher: tuple[Publisher, str],
    tmp_path: Path,
) -> None:
    """Feed -> ingester -> input topic -> `cinealert run`'s service -> one record per
    alert: Korean disaster messages and an index feed, drawn as cards (no model)."""
    server, origin = publisher
    server.documents = {
        "kr.json": KOREAN,
        "a.xml": cap_alert("e2e-flood", "flood"),
        "b.xml": cap_alert("e2e-heat", "heat"),
    }
    server.index = ["a.xml", "b.xml"]
    base = f"http://{origin}"
    feeds = [
        _feed("korea", f"{base}/cap/kr.json", format="kr-disaster-message"),
        _feed("index", f"{base}/index.atom", format="atom-index"),
    ]
    assert await serve(_settings(kafka_bootstrap, topic_names, origin), feeds, once=True) == 0
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, card_policy="only")
    async with running_service(settings, build_renderers(settings)):
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 5))
    assert set(records) == {
        "KR.MOIS.CBS.218431",
        "KR.MOIS.CBS.218432",
        "KR.MOIS.CBS.218433",
        "e2e-flood",
        "e2e-heat",
    }
    hazards = {identifier: record["hazard"] for identifier, record in records.items()}
    assert hazards["KR.MOIS.CBS.218431"] == "heavy_rain"
    assert hazards["KR.MOIS.CBS.218432"] == "earthquake"
    for record in records.values():
        assert record["status"] == "rendered" and record["kind"] == "card"
    assert records["KR.MOIS.CBS.218432"]["alt_text"].startswith("움직이는 경보 카드")


async def test_an_independent_client_reads_what_the_ingester_produced(
    kafka_bootstrap: str, topic_names: TopicNames, publisher: tuple[Publisher, str]
) -> None:
    """librdkafka (confluent-kafka) consumes the input topic: every message is a CAP
    alert keyed sender|identifier with the ingester's identity headers."""
    server, origin = publisher
    server.documents = {"kr.json": KOREAN}
    feed = _feed("korea", f"http://{origin}/cap/kr.json", format="kr-disaster-message")
    assert await serve(_settings(kafka_bootstrap, topic_names, origin), [feed], once=True) == 0
    messages = await asyncio.to_thread(librdkafka.consume, kafka_bootstrap, topic_names.input, 3)
    for message in messages:
        assert message.value is not None
        (alert,) = parse_document(message.value).alerts
        assert message.key == f"{alert.sender}|{alert.identifier}".encode()
        headers = dict(message.headers)
        assert headers["cinealert-feed"] == b"korea"
        assert headers["cinealert-alert-identity"].decode().startswith(f"{alert.sender}|")
