"""A render past its deadline gets an alert card instead (``card_policy=fallback``, the
default): a ``rendered`` record of kind ``card`` that names the render's failure as its
reason, media in S3; and the daemon goes on to the next alert (real tiny pipeline, real
broker and S3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.kafka.broker import EmbeddedBroker
from daemon.runtime.daemon_process import probe_readiness
from daemon.streams.demo_results import expected_results
from tests.e2e.harness import (
    RECORDINGS,
    StackConfig,
    assert_complete,
    collect,
    replay,
    retimed,
    start_daemon,
)
from tests.support.seaweed import S3ServerInfo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


class ShortDeadline(StackConfig):
    """The e2e stack with a deadline no tiny render can meet."""

    def environment(self, http_port: int) -> dict[str, str]:
        return {**super().environment(http_port), "CINEALERT_RENDER_DEADLINE_S": "0.2"}


def test_renders_past_the_deadline_get_a_card_with_the_reason_and_the_next_alert_goes_on(
    broker: EmbeddedBroker, s3_server: S3ServerInfo, tmp_path: Path
) -> None:
    config = ShortDeadline(broker.bootstrap, s3_server, s3_server.public_bucket, public=True)
    daemon, settings = start_daemon(config, tmp_path / "daemon.log")
    try:
        messages, _ = retimed(RECORDINGS[0])
        # The first three alerts of the demo: flood, landslide, drought (three renders).
        first_three = messages[:3]
        expected = expected_results(first_three)
        assert len(expected.alerts) == 3
        replay(settings, first_three)
        board = collect(settings, expected)
        still_ready = probe_readiness(daemon.http_url).ready
    finally:
        exit_status = daemon.stop()
    assert_complete(board, daemon)
    hazards = sorted(record["hazard"] for record in board.records.values())
    assert hazards == ["drought", "flood", "landslide"]
    for record in board.records.values():
        assert record["status"] == "rendered", record
        assert record["kind"] == "card", record
        assert record["reason"] == "deadline-exceeded", record
        assert {item["format"] for item in record["media"]} == {"gif", "webp", "mp4"}
        assert record["poster_url"].startswith(s3_server.endpoint_url)
    assert still_ready, "a failed render must not take the daemon out of service"
    assert exit_status == 0, "the daemon still stops cleanly"
