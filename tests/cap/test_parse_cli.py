"""`cinealert parse`: the JSON-lines contract other tools rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from daemon.cli import main
from tests.cap.cap_fixtures import CORPUS, FIXTURES

TOP_KEYS = {"source", "ok", "error", "warnings", "kind", "alerts", "rejected"}
ALERT_KEYS = {
    "identifier", "sender", "sent", "status", "msgType", "scope", "references", "hazard",
    "priority", "infos", "warnings",
}  # fmt: skip
INFO_KEYS = {
    "language", "event", "categories", "urgency", "severity", "certainty", "expires",
    "headline", "hazard",
}  # fmt: skip


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["parse", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def _check_contract(record: dict[str, Any]) -> None:
    assert record.keys() >= TOP_KEYS
    assert isinstance(record["ok"], bool)
    assert (record["error"] is None) == record["ok"]
    if record["error"] is not None:
        assert {"code", "message"} <= record["error"].keys()
    for warning in record["warnings"]:
        assert {"code", "message"} <= warning.keys()
    for rejected in record["rejected"]:
        assert isinstance(rejected["index"], int)
        assert {"code", "message"} <= rejected["error"].keys()
    for alert in record["alerts"]:
        assert alert.keys() >= ALERT_KEYS
        for warning in alert["warnings"]:
            assert {"code", "message", "location"} <= warning.keys()
            assert warning in record["warnings"]
        assert datetime.fromisoformat(alert["sent"]).tzinfo is not None
        assert isinstance(alert["hazard"], str)
        assert isinstance(alert["priority"], float)
        for reference in alert["references"]:
            assert set(reference) == {"sender", "identifier", "sent"}
        for info in alert["infos"]:
            assert info.keys() >= INFO_KEYS
            if info["expires"] is not None:
                assert datetime.fromisoformat(info["expires"]).tzinfo is not None


def test_one_line_per_input_and_exit_zero_even_when_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.xml"
    code, records = _run(
        capsys,
        str(FIXTURES / "alert_1_2_full.xml"),
        str(FIXTURES / "billion_laughs.xml"),
        str(missing),
        str(FIXTURES / "atom_with_cap.xml"),
    )
    assert code == 0
    assert [r["source"] for r in records] == [
        str(FIXTURES / "alert_1_2_full.xml"),
        str(FIXTURES / "billion_laughs.xml"),
        str(missing),
        str(FIXTURES / "atom_with_cap.xml"),
    ]
    for record in records:
        _check_contract(record)
    full, bomb, unreadable, atom = records
    assert full["ok"] and full["kind"] == "alert"
    alert = full["alerts"][0]
    assert alert["sent"] == "2026-11-23T01:02:03+09:00"
    assert alert["references"][1] == {
        "sender": "other@example.org",
        "identifier": "X-1",
        "sent": "2026-11-22T10:00:00+00:00",
    }
    assert [info["language"] for info in alert["infos"]] == ["en-US", "es-US"]
    assert bomb["ok"] is False and bomb["error"]["code"] == "xml.entity_forbidden"
    assert unreadable["error"]["code"] == "input.unreadable"
    assert str(missing) in unreadable["error"]["message"]
    # Real-world policy: the entry with urgency 'Soon' is kept, read as Unknown, warned.
    assert atom["kind"] == "container" and len(atom["alerts"]) == 3
    assert atom["rejected"] == []
    (warning,) = atom["alerts"][1]["warnings"]
    assert warning["code"] == "cap.unknown_enum"
    assert warning["location"].endswith("/info[1]/urgency")
    assert atom["warnings"] == [warning]


def test_strict_flag_refuses_what_real_world_reads_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(FIXTURES / "atom_with_cap.xml")
    code, (strict,) = _run(capsys, "--strict", path)
    assert code == 0
    _check_contract(strict)
    assert [a["identifier"] for a in strict["alerts"]] == ["atom-1", "atom-3"]
    assert [(r["index"], r["error"]["code"]) for r in strict["rejected"]] == [
        (1, "cap.invalid_enum")
    ]
    assert strict["warnings"] == []


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["parse"])
    assert exited.value.code == 2
    assert "PATH" in capsys.readouterr().err


def test_bad_limit_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--max-depth", "0", str(FIXTURES / "alert_1_1_minimal.xml")]) == 2
    assert "max_depth" in capsys.readouterr().err


def test_stdin_is_read_for_dash() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "daemon", "parse", "-"],
        input=(FIXTURES / "alert_prefixed.xml").read_bytes(),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    (record,) = [json.loads(line) for line in completed.stdout.splitlines()]
    assert record["source"] == "<stdin>"
    assert record["alerts"][0]["identifier"] == "prefixed-1"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_whole_corpus_in_one_run() -> None:
    paths = sorted(
        str(path)
        for path in CORPUS.rglob("*")
        if path.is_file() and path.suffix not in (".tsv", ".xsd")
    )
    completed = subprocess.run(
        [sys.executable, "-m", "daemon", "parse", *paths],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [r["source"] for r in records] == paths
    for record in records:
        _check_contract(record)
