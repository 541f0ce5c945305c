"""Every bundled recording through the whole product, then a restart that must hit the cache.

One daemon (tiny pipeline on CPU, media on S3 with a public base URL) serves all three
recordings; the module fixture replays them once and the tests check what came back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from daemon.kafka.broker import EmbeddedBroker
from daemon.runtime.daemon_process import DaemonProcess
from daemon.runtime.settings import Settings
from daemon.streams.demo_results import ResultBoard
from tests.e2e.harness import (
    PRESIGNED,
    RECORDINGS,
    MediaChecker,
    StackConfig,
    assert_complete,
    assert_matches_expectations,
    collect,
    media_keys,
    replay,
    retimed,
    start_daemon,
)
from tests.support.seaweed import S3ServerInfo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


@dataclass
class FirstRun:
    """The daemon now running, and the board of each recording's first replay."""

    config: StackConfig
    log_dir: Path
    daemon: DaemonProcess
    settings: Settings
    boards: dict[Path, ResultBoard] = field(default_factory=dict)


@pytest.fixture(scope="module")
def first_run(
    broker: EmbeddedBroker, s3_server: S3ServerInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FirstRun]:
    """Start the daemon, replay every recording into it and collect all records."""
    config = StackConfig(broker.bootstrap, s3_server, s3_server.public_bucket, public=True)
    log_dir = tmp_path_factory.mktemp("e2e-recordings")
    daemon, settings = start_daemon(config, log_dir / "daemon-1.log")
    run = FirstRun(config, log_dir, daemon, settings)
    try:
        for recording in RECORDINGS:
            messages, expected = retimed(recording)
            replay(settings, messages)
            run.boards[recording] = collect(settings, expected)
        yield run
    finally:
        run.daemon.stop()


def test_every_recording_gets_its_records_with_media_that_decode(first_run: FirstRun) -> None:
    checker = MediaChecker()
    for recording, board in first_run.boards.items():
        assert_complete(board, first_run.daemon)
        assert_matches_expectations(board, recording)
        for record in board.records.values():
            checker.check_record(record)
            for item in record["media"]:
                assert item["url"].startswith(first_run.config.s3.endpoint_url), item
                assert not PRESIGNED.search(item["url"]), "public bucket: plain URLs"
    statuses = {r["status"] for b in first_run.boards.values() for r in b.records.values()}
    assert {"rendered", "cached", "skipped", "cancelled"} <= statuses, statuses
    assert len(checker.checked) >= 14 * 3, "every hazard rendered as gif, webp and mp4"


def test_a_restarted_daemon_answers_from_the_hazard_cache(first_run: FirstRun) -> None:
    exit_status = first_run.daemon.stop()
    assert exit_status == 0, first_run.daemon.log_tail()
    # Same input, group and cache topics; a new output topic so this run's records stand alone.
    first_run.config.output_suffix = ".after-restart"
    first_run.daemon, settings = start_daemon(first_run.config, first_run.log_dir / "daemon-2.log")
    demo = RECORDINGS[0]
    messages, expected = retimed(demo)
    replay(settings, messages)
    board = collect(settings, expected)
    assert_complete(board, first_run.daemon)
    statuses = [record["status"] for record in board.records.values()]
    assert "rendered" not in statuses, "a restart must not lose the hazard cache"
    assert statuses.count("cached") >= 10, statuses
    rendered_before = set().union(*(media_keys(b) for b in first_run.boards.values()))
    assert media_keys(board) <= rendered_before, "cached records point at the first run's media"
    MediaChecker().check_record(next(r for r in board.records.values() if r["media"]))
