"""`kill -9` of the daemon in the middle of a render loses no alert.

The input offsets of unfinished work are not committed, so the restarted daemon gets
those messages again; the records of alerts finished before the crash are read back
from the output topic, so none repeats, and every valid alert ends with one record.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from daemon.kafka.broker import EmbeddedBroker
from daemon.runtime.daemon_process import DaemonProcess
from tests.e2e.harness import (
    PRESIGNED,
    RECORDINGS,
    MediaChecker,
    StackConfig,
    assert_complete,
    assert_matches_expectations,
    collect,
    replay,
    retimed,
    start_daemon,
)
from tests.support.seaweed import S3ServerInfo, admin_client

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

RENDER_WAIT_S = 300.0


def renders_in_flight(daemon: DaemonProcess) -> float:
    """The daemon's ``cinealert_renders_in_flight`` gauge, read from /metrics."""
    with urllib.request.urlopen(f"{daemon.http_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith("cinealert_renders_in_flight "):
            return float(line.split()[1])
    raise AssertionError(f"no cinealert_renders_in_flight in /metrics:\n{text[:2000]}")


def wait_for_a_render(daemon: DaemonProcess) -> None:
    """Block until a render is running (the moment to crash)."""
    deadline = time.monotonic() + RENDER_WAIT_S
    while renders_in_flight(daemon) < 1:
        assert time.monotonic() < deadline, f"no render started:\n{daemon.log_tail()}"
        time.sleep(0.05)


def test_kill_9_during_a_render_loses_no_alert(
    broker: EmbeddedBroker, s3_server: S3ServerInfo, tmp_path: Path
) -> None:
    # A private bucket: URLs in records are presigned.
    bucket = f"e2e-private-{uuid.uuid4().hex[:12]}"
    admin_client(s3_server).create_bucket(Bucket=bucket)
    config = StackConfig(broker.bootstrap, s3_server, bucket, public=False)
    recording = RECORDINGS[2]
    daemon, settings = start_daemon(config, tmp_path / "daemon-1.log")
    try:
        messages, expected = retimed(recording)
        replay(settings, messages)
        wait_for_a_render(daemon)
        daemon.kill()
        daemon, settings = start_daemon(config, tmp_path / "daemon-2.log")
        board = collect(settings, expected)
    finally:
        daemon.stop()
    assert_complete(board, daemon)
    assert board.repeats == 0, f"{board.repeats} terminal records repeated after kill -9"
    assert_matches_expectations(board, recording)
    checker = MediaChecker()
    for record in board.records.values():
        checker.check_record(record)
        for item in record["media"]:
            assert PRESIGNED.search(item["url"]), f"private bucket needs presigned URLs: {item}"
