"""`cinealert render`: files written, report honest, CAP input, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from daemon.cli import main

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SMALL = ["--size", "64", "--candidates", "2", "--steps", "1", "--device", "cpu"]

FLOOD_CAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>cli-test-1</identifier>
  <sender>test@example.org</sender>
  <sent>2026-05-01T10:00:00-00:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Flash Flood Warning</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>Flash flood warning for the river valley</headline>
    <area><areaDesc>River valley</areaDesc></area>
  </info>
</alert>
"""


@pytest.mark.slow
def test_render_writes_media_and_an_honest_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["render", "--hazard", "tornado", "--seed", "4", *SMALL, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for stage in ("prompt", "t2i", "select", "mask", "animate", "encode"):
        assert f"  {stage}" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["request"] == {
        "hazard": "tornado",
        "language": "en",
        "method": "cinemagraph",
        "seed": 4,
    }
    assert report["profile"] == "tiny" and "random weights" in report["note"]
    formats = [entry["format"] for entry in report["files"]]
    assert formats == ["gif", "webp", "mp4", "png"]
    for entry in report["files"]:
        data = (out / entry["file"]).read_bytes()
        assert len(data) == entry["bytes"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert (entry["width"], entry["height"]) == (64, 64)
    assert report["clip_score"] == max(report["candidate_scores"])
    assert {entry["role"] for entry in report["loaded"]} >= {"llm", "t2i", "clip", "sam"}
    assert report["timings_ms"]["total"] > 0


@pytest.mark.slow
def test_render_takes_the_hazard_from_a_cap_file(tmp_path: Path) -> None:
    cap_file = tmp_path / "flood.xml"
    cap_file.write_bytes(FLOOD_CAP)
    out = tmp_path / "out"
    code = main(
        ["render", "--cap", str(cap_file), "--method", "masked-sampling", *SMALL, "--out", str(out)]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["cap"]["hazard"] == "flood"
    assert report["cap"]["identifier"] == "cli-test-1"
    assert report["request"]["language"] == "en-US"
    assert (out / "flood-masked-sampling.mp4").is_file()


def test_cap_corpus_file_classifies_before_rendering(tmp_path: Path) -> None:
    labels = SHARED / "cap-corpus" / "LABELS.tsv"
    if not labels.is_file():
        pytest.skip("shared CAP corpus not present")
    rows = [line.split("\t") for line in labels.read_text().splitlines()[1:]]
    path, _, _, _hazard, _ = next(row for row in rows if row[1] == "ok" and row[3] == "none")
    out = tmp_path / "out"
    code = main(["render", "--cap", str(SHARED / "cap-corpus" / path), *SMALL, "--out", str(out)])
    assert code == 1  # hazard "none": nothing to draw, and no files pretend otherwise
    assert not (out / "report.json").exists()


def test_unreadable_or_invalid_cap_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.xml"
    assert main(["render", "--cap", str(missing), "--out", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<alert>not closed")
    assert main(["render", "--cap", str(broken), "--out", str(tmp_path)]) == 2
    assert str(broken) in capsys.readouterr().err


def test_unknown_hazard_exits_1_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "--hazard", "meteor", *SMALL, "--out", str(tmp_path)]) == 1
    assert "meteor" in capsys.readouterr().err
