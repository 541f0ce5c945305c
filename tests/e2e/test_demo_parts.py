"""The demo's own parts, without a daemon: expected alerts, the board, the table, and the
child-process helper's failure report."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from daemon.kafka.broker import find_free_port
from daemon.runtime.daemon_process import DaemonProcess, DaemonProcessError, probe_readiness
from daemon.service.records import record_schema
from daemon.streams.demo_results import (
    RecordFormatError,
    ResultBoard,
    decode_record,
    expected_results,
    primary_media_url,
    results_table,
)
from daemon.streams.format import StreamMessage, read_stream
from daemon.streams.retime import retime_messages
from tests.e2e.harness import RECORDINGS, expectations_of


def _record(alert_key: tuple[str, str, datetime], status: str, **extra: Any) -> dict[str, Any]:
    sender, identifier, sent = alert_key
    return {
        "alert": {"sender": sender, "identifier": identifier, "sent": sent.isoformat()},
        "hazard": extra.get("hazard", "flood"),
        "priority": {"band": "high", "score": 340.5},
        "status": status,
        "reason": extra.get("reason"),
        "media": extra.get("media", []),
        "timings_ms": {"total": 1500.0},
    }


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda path: path.name)
def test_expected_alerts_agree_with_the_hand_written_expectations(recording: Path) -> None:
    messages, _summary, _offset = retime_messages(
        read_stream(recording).messages, datetime.now(UTC)
    )
    expected = expected_results(messages)
    entries = expectations_of(recording)
    assert len(expected.alerts) == sum(1 for e in entries if e["expect"] == "record")
    assert expected.rejected_messages == sum(1 for e in entries if e["expect"] == "dlq")
    assert expected.duplicates == sum(1 for e in entries if e["expect"] == "duplicate")
    hazards = {key[1]: alert.hazard for key, alert in expected.alerts.items()}
    for entry in entries:
        if entry["expect"] == "record":
            assert hazards[entry["identifier"]] == entry["hazard"], entry


def test_board_keeps_the_first_record_per_alert_and_lists_the_missing() -> None:
    messages = read_stream(RECORDINGS[0]).messages
    expected = expected_results(messages)
    keys = list(expected.alerts)
    board = ResultBoard(expected)
    assert board.add(_record(keys[0], "rendered")) is True
    assert board.add(_record(keys[0], "rendered")) is False  # a repeat after a crash
    assert board.repeats == 1
    stranger = ("someone@example.org", "not-in-stream", keys[0][2])
    assert board.add(_record(stranger, "skipped")) is False
    assert len(board.unexpected) == 1
    assert [alert.key for alert in board.missing()] == keys[1:]
    assert not board.complete
    for key in keys[1:]:
        board.add(_record(key, "skipped", reason="no-hazard"))
    assert board.complete


def test_table_shows_status_reason_and_the_gif_url() -> None:
    gif = {"format": "gif", "url": "http://h/media/a.gif"}
    mp4 = {"format": "mp4", "url": "http://h/media/a.mp4"}
    message = StreamMessage(
        t=0.0, key=None, headers=(), value=read_stream(RECORDINGS[0]).messages[0].value
    )
    expected = expected_results([message])
    (key,) = expected.alerts
    board = ResultBoard(expected)
    board.add(_record(key, "rendered", media=[mp4, gif]))
    table = results_table(board.ordered()).splitlines()
    assert table[0].split() == ["#", "alert", "hazard", "priority", "status", "time", "media"]
    row = table[2]
    assert key[1] in row
    assert "high 340.50" in row
    assert "1.5s" in row
    assert row.endswith("http://h/media/a.gif")
    assert primary_media_url({"media": [mp4]}) == "http://h/media/a.mp4"
    assert primary_media_url({"media": []}) is None


def test_a_missing_record_is_shown_as_such() -> None:
    expected = expected_results(read_stream(RECORDINGS[0]).messages[:1])
    table = results_table(ResultBoard(expected).ordered())
    assert "NO RECORD" in table


@pytest.mark.parametrize("raw", [None, b"not json", b"[1, 2]", b'{"status": "rendered"}'])
def test_output_messages_that_are_not_records_are_refused_with_the_text(
    raw: bytes | None,
) -> None:
    with pytest.raises(RecordFormatError):
        decode_record(raw)


def test_a_daemon_that_exits_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")}
    environment["CINEALERT_MODELS"] = "enormous"
    port = find_free_port()
    daemon = DaemonProcess(environment, tmp_path / "daemon.log", f"http://127.0.0.1:{port}")
    daemon.start()
    try:
        with pytest.raises(DaemonProcessError) as caught:
            daemon.wait_ready(timeout_s=120)
    finally:
        daemon.stop(grace_s=5)
    message = str(caught.value)
    assert "exited with status 2" in message
    assert "CINEALERT_MODELS" in message and "enormous" in message


def test_readiness_of_nothing_listening_is_not_ready_with_the_reason() -> None:
    probe = probe_readiness(f"http://127.0.0.1:{find_free_port()}", timeout_s=1)
    assert not probe.ready
    assert probe.checks == {}
    assert "cannot reach" in probe.problem


def test_the_readme_example_record_matches_the_published_schema() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "README has no example record"
    record = json.loads(block.group(1))
    jsonschema.Draft202012Validator(record_schema()).validate(record)
    assert record["status"] == "rendered"
    assert {item["format"] for item in record["media"]} == {"gif", "webp", "mp4"}
