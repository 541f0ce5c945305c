"""The end-to-end stack: real broker, real SeaweedFS S3, `cinealert run` as a child process.

Nothing here is a double: the daemon runs the tiny generative pipeline on CPU, media
go to S3 over HTTP, records come back over Kafka, and media are downloaded with a
plain HTTP GET and decoded with Pillow / PyAV.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import jsonschema
from PIL import Image

from daemon.kafka.broker import find_free_port
from daemon.kafka.client_config import producer_kwargs
from daemon.runtime.daemon_process import DaemonProcess
from daemon.runtime.settings import Settings, load_settings
from daemon.service.records import record_schema
from daemon.streams.demo_results import ExpectedResults, ResultBoard, expected_results
from daemon.streams.format import StreamMessage, read_stream
from daemon.streams.player import play
from daemon.streams.record_collector import RecordCollector
from daemon.streams.retime import retime_messages
from tests.support.seaweed import S3ServerInfo

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = (
    REPO_ROOT / "daemon" / "data" / "demo-stream.jsonl",
    REPO_ROOT / "tests" / "streams" / "storm-night.jsonl",
    REPO_ROOT / "tests" / "streams" / "priority-burst.jsonl",
)
READY_TIMEOUT_S = 420.0
RECORDS_TIMEOUT_S = 420.0
RECORD_VALIDATOR = jsonschema.Draft202012Validator(record_schema())


def expectations_of(recording: Path) -> list[dict[str, Any]]:
    """The ``.expect.json`` entries of a recording (TAXO's hand-checked outcomes)."""
    expect_path = recording.with_name(recording.name.removesuffix(".jsonl") + ".expect.json")
    entries: list[dict[str, Any]] = json.loads(expect_path.read_text())
    return entries


@dataclass
class StackConfig:
    """Where one daemon's inputs and outputs live; ``output`` may change between runs."""

    bootstrap: str
    s3: S3ServerInfo
    bucket: str
    public: bool  # public base URL (True) or presigned URLs (False)
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    output_suffix: str = ""

    def environment(self, http_port: int) -> dict[str, str]:
        """The daemon's environment: the caller's minus any CINEALERT_*, plus this stack."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")}
        s3 = self.s3
        values = {
            "CINEALERT_BOOTSTRAP_SERVERS": self.bootstrap,
            "CINEALERT_GROUP_ID": f"e2e-{self.suffix}",
            "CINEALERT_INPUT_TOPIC": f"e2e.alerts.{self.suffix}",
            "CINEALERT_OUTPUT_TOPIC": f"e2e.media.{self.suffix}{self.output_suffix}",
            "CINEALERT_DLQ_TOPIC": f"e2e.dlq.{self.suffix}",
            "CINEALERT_CACHE_TOPIC": f"e2e.cache.{self.suffix}",
            "CINEALERT_TOPIC_PARTITIONS": "3",
            "CINEALERT_HTTP_PORT": str(http_port),
            "CINEALERT_MODELS": "tiny",
            "CINEALERT_RENDER_WORKERS": "cpu",
            "CINEALERT_RENDER_DEADLINE_S": "240",
            "CINEALERT_SHUTDOWN_GRACE_S": "30",
            "CINEALERT_MEDIA_BACKEND": "s3",
            "CINEALERT_S3_BUCKET": self.bucket,
            "CINEALERT_S3_PREFIX": f"e2e-{self.suffix}/",
            "CINEALERT_S3_ENDPOINT_URL": s3.endpoint_url,
            "CINEALERT_S3_REGION": s3.region,
            "CINEALERT_S3_ACCESS_KEY_ID": s3.access_key_id,
            "CINEALERT_S3_SECRET_ACCESS_KEY": s3.secret_access_key,
            "CINEALERT_LOG_FORMAT": "json",
        }
        if self.public:
            values["CINEALERT_S3_PUBLIC_BASE_URL"] = f"{s3.endpoint_url}/{self.bucket}"
        return {**base, **values}


def start_daemon(config: StackConfig, log_path: Path) -> tuple[DaemonProcess, Settings]:
    """Start `cinealert run` for ``config`` and wait until ``/readyz`` says ready."""
    environment = config.environment(find_free_port())
    settings = load_settings(environ=environment)
    daemon = DaemonProcess(environment, log_path, settings.http_url)
    daemon.start()
    try:
        daemon.wait_ready(READY_TIMEOUT_S)
    except BaseException:
        daemon.kill()
        raise
    return daemon, settings


def retimed(recording: Path) -> tuple[list[StreamMessage], ExpectedResults]:
    """The recording's messages with dates shifted to now, and the alerts owed a record."""
    messages, _summary, _offset = retime_messages(
        read_stream(recording).messages, datetime.now(UTC)
    )
    return messages, expected_results(messages)


def replay(settings: Settings, messages: list[StreamMessage]) -> None:
    """Produce ``messages`` into the daemon's input topic as fast as possible."""
    asyncio.run(play(messages, settings.input_topic, producer_kwargs(settings), speed=0))


def collect(settings: Settings, expected: ExpectedResults) -> ResultBoard:
    """Read the output topic until every expected alert has a record (or time out)."""

    async def gather() -> ResultBoard:
        board = ResultBoard(expected)
        async with RecordCollector(settings, board, lambda _line: None) as collector:
            await collector.until_complete(RECORDS_TIMEOUT_S)
        return board

    return asyncio.run(gather())


def assert_complete(board: ResultBoard, daemon: DaemonProcess | None = None) -> None:
    """Every expected alert has a record; the message names the missing ones."""
    missing = [alert.key[1] for alert in board.missing()]
    log = f"\ndaemon log tail:\n{daemon.log_tail()}" if daemon is not None else ""
    assert not missing, f"no record for {missing}{log}"


def assert_matches_expectations(board: ResultBoard, recording: Path) -> None:
    """Each record validates against the schema and has the status and hazard TAXO expects."""
    entries = [e for e in expectations_of(recording) if e["expect"] == "record"]
    by_alert = {(r["alert"]["sender"], r["alert"]["identifier"]): r for r in board.records.values()}
    assert len(entries) == len(board.expected.alerts), (
        f"{recording.name}: {len(entries)} alerts expected by the .expect.json file, "
        f"{len(board.expected.alerts)} found by parsing the stream"
    )
    for entry in entries:
        record = by_alert[(entry["sender"], entry["identifier"])]
        RECORD_VALIDATOR.validate(record)
        assert record["hazard"] == entry["hazard"], (entry, record["hazard"])
        assert record["status"] in entry["status"], (
            f"{entry['identifier']}: status {record['status']!r} (reason {record['reason']!r}), "
            f"expected one of {entry['status']}"
        )


def download(url: str) -> bytes:
    """A plain HTTP GET, as any client of the records would do."""
    with urllib.request.urlopen(url, timeout=30) as response:
        data: bytes = response.read()
        assert response.status == 200, (url, response.status)
    return data


def decoded_shape(data: bytes, media_format: str) -> tuple[int, int, int]:
    """(width, height, frames) of an encoded animation or still, by decoding it."""
    if media_format == "mp4":
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            frames = list(container.decode(stream))
            return frames[0].width, frames[0].height, len(frames)
    with Image.open(io.BytesIO(data)) as image:
        return image.width, image.height, getattr(image, "n_frames", 1)


@dataclass
class MediaChecker:
    """Downloads and decodes each distinct media URL once (cached records share URLs)."""

    checked: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def check_record(self, record: dict[str, Any]) -> None:
        """Media of a rendered/cached record download, match their hash and decode."""
        if record["status"] not in ("rendered", "cached"):
            assert record["media"] == [], record
            return
        formats = {item["format"] for item in record["media"]}
        assert {"gif", "webp", "mp4"} <= formats, formats
        assert record["models"], "a rendered record names the models that made it"
        for item in record["media"]:
            if item["url"] not in self.checked:
                data = download(item["url"])
                assert len(data) == item["bytes"], item
                assert hashlib.sha256(data).hexdigest() == item["sha256"], item
                self.checked[item["url"]] = decoded_shape(data, item["format"])
            width, height, frames = self.checked[item["url"]]
            assert (width, height) == (item["width"], item["height"]), (item, width, height)
            assert frames == item["frames"], (item, frames)
            assert frames > 1, f"{item['format']} is not an animation: {item}"
        poster = download(record["poster_url"])
        with Image.open(io.BytesIO(poster)) as image:
            assert image.format == "PNG"


def media_keys(board: ResultBoard) -> set[str]:
    """The sha256 of every media file the board's records point at."""
    return {item["sha256"] for record in board.records.values() for item in record["media"]}


PRESIGNED = re.compile(r"[?&]X-Amz-Signature=")
