"""The recorded streams: well-formed JSONL, in sync with their authoring script, every valid
message parses and classifies to its expected hazard, every malformed one is refused."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cap.classify import classify_alert
from cap.document import parse_document
from tests.streams.author_streams import write_all

REPO = Path(__file__).resolve().parents[2]
STREAMS = {
    "storm-night": REPO / "tests" / "streams" / "storm-night.jsonl",
    "priority-burst": REPO / "tests" / "streams" / "priority-burst.jsonl",
    "demo": REPO / "daemon" / "data" / "demo-stream.jsonl",
}
PAPER_HAZARDS = {"flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake"}
STATUSES = {"rendered", "cached", "skipped", "cancelled", "expired", "failed"}


def load(path: Path) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows[0], list(enumerate(rows[1:], start=2))


def expectations(path: Path) -> dict[int, dict[str, Any]]:
    entries = json.loads(path.with_name(path.stem + ".expect.json").read_text(encoding="utf-8"))
    return {entry["line"]: entry for entry in entries}


def message_bytes(message: dict[str, Any]) -> bytes:
    if "value_b64" in message:
        return base64.b64decode(message["value_b64"], validate=True)
    return str(message["value"]).encode("utf-8")


def test_committed_streams_match_the_authoring_script(tmp_path: Path) -> None:
    write_all(tmp_path / "streams", tmp_path / "demo-stream.jsonl")
    regenerated = {
        "storm-night": tmp_path / "streams" / "storm-night.jsonl",
        "priority-burst": tmp_path / "streams" / "priority-burst.jsonl",
        "demo": tmp_path / "demo-stream.jsonl",
    }
    for name, committed in STREAMS.items():
        fresh = regenerated[name]
        assert fresh.read_bytes() == committed.read_bytes(), name
        expect_name = committed.stem + ".expect.json"
        assert (
            fresh.with_name(expect_name).read_bytes()
            == committed.with_name(expect_name).read_bytes()
        ), name


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_follows_the_recorded_stream_format(name: str) -> None:
    header, messages = load(STREAMS[name])
    assert header["format"] == "cinealert.stream/1"
    assert header["description"]
    times = [message["t"] for _, message in messages]
    assert times[0] >= 0.0 and times == sorted(times)
    for _, message in messages:
        assert set(message) <= {"t", "key", "headers", "value", "value_b64"}
        assert ("value" in message) != ("value_b64" in message)
        assert all(isinstance(pair, list) and len(pair) == 2 for pair in message["headers"])
    # One expectation per message line, and nothing else.
    assert sorted(expectations(STREAMS[name])) == [line for line, _ in messages]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_message_parses_or_is_refused_as_expected(name: str) -> None:
    _, messages = load(STREAMS[name])
    expected = expectations(STREAMS[name])
    seen: dict[tuple[str, str, str], bytes] = {}
    for line, message in messages:
        entry = expected[line]
        document = parse_document(message_bytes(message))
        if entry["expect"] == "dlq":
            assert not document.ok, (name, line, entry["why"])
            continue
        assert document.ok and document.kind == "alert", (name, line, document.error)
        assert not document.warnings, (name, line, document.warnings)
        (alert,) = document.alerts
        key = (alert.sender, alert.identifier, alert.sent.isoformat())
        assert (alert.identifier, alert.sender) == (entry["identifier"], entry["sender"])
        assert classify_alert(alert).hazard == entry["hazard"], (name, line)
        if entry["expect"] == "duplicate":
            assert seen[key] == message_bytes(message), (name, line)
            assert entry["status"] == []
        else:
            assert entry["expect"] == "record"
            assert key not in seen, (name, line)
            assert entry["status"] and set(entry["status"]) <= STATUSES
            # Updates and Cancels reference alerts seen earlier in the same stream.
            for reference in alert.references:
                assert (reference.sender, reference.identifier, reference.sent.isoformat()) in seen
            seen[key] = message_bytes(message)


def parsed_alerts(name: str) -> list[tuple[dict[str, Any], Any]]:
    _, messages = load(STREAMS[name])
    expected = expectations(STREAMS[name])
    found = []
    for line, message in messages:
        if expected[line]["expect"] == "record":
            (alert,) = parse_document(message_bytes(message)).alerts
            found.append((expected[line], alert))
    return found


def test_storm_night_has_every_kind_of_trouble() -> None:
    _, messages = load(STREAMS["storm-night"])
    kinds = Counter(entry["expect"] for entry in expectations(STREAMS["storm-night"]).values())
    assert 40 <= len(messages) <= 60
    assert kinds["dlq"] >= 5 and kinds["duplicate"] >= 3
    assert any("value_b64" in message for _, message in messages)
    alerts = [alert for _, alert in parsed_alerts("storm-night")]
    assert {alert.status for alert in alerts} >= {"Actual", "Test", "Exercise"}
    assert {alert.msg_type for alert in alerts} >= {"Alert", "Update", "Cancel", "Ack"}
    korean_multi = [
        alert
        for alert in alerts
        if len({info.language for info in alert.infos}) > 1
        and any(info.language == "ko-KR" for info in alert.infos)
    ]
    assert korean_multi
    hazards = {entry["hazard"] for entry, _ in parsed_alerts("storm-night")}
    assert hazards == {*PAPER_HAZARDS, "heavy_rain", "storm", "tornado", "tsunami", "heat"} | {
        "cold",
        "fire",
        "none",
    }
    statuses = {status for entry, _ in parsed_alerts("storm-night") for status in entry["status"]}
    assert statuses >= {"rendered", "skipped", "cancelled", "expired"}


def test_priority_burst_puts_urgent_alerts_after_the_low_ones() -> None:
    alerts = parsed_alerts("priority-burst")
    urgencies = [alert.infos[0].urgency for _, alert in alerts]
    first_urgent = urgencies.index("Immediate")
    assert first_urgent >= 20
    assert set(urgencies[:first_urgent]) == {"Future"}
    assert set(urgencies[first_urgent:]) == {"Immediate"}
    assert all(
        alert.infos[0].severity == "Extreme" for alert in [a for _, a in alerts][first_urgent:]
    )


def test_demo_stream_covers_what_make_run_shows() -> None:
    alerts = parsed_alerts("demo")
    assert len(alerts) >= 20
    hazards = {entry["hazard"] for entry, _ in alerts}
    assert hazards >= PAPER_HAZARDS
    languages = {info.language.split("-")[0] for _, alert in alerts for info in alert.infos}
    assert "ko" in languages and len(languages - {"ko"}) >= 2
    assert {alert.msg_type for _, alert in alerts} >= {"Alert", "Update", "Cancel"}
    assert "Test" in {alert.status for _, alert in alerts}
    kinds = Counter(entry["expect"] for entry in expectations(STREAMS["demo"]).values())
    assert kinds["dlq"] >= 1
    _header, messages = load(STREAMS["demo"])
    assert messages[-1][1]["t"] <= 12.0
