"""`cinealert card`: one CAP file to an animated alert card, report and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from daemon.cli import main

KOREAN_CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>card-cli-1</identifier>
  <sender>test@example.kr</sender>
  <sent>2026-12-06T14:00:00+09:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>ko-KR</language>
    <category>Met</category>
    <event>호우경보</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>2026-12-06T23:00:00+09:00</expires>
    <headline>오늘 14시 호우경보 발령. 산사태·급류 위험지역 접근 금지</headline>
    <area><areaDesc>서울특별시 전역</areaDesc></area>
  </info>
</alert>
""".encode()


def test_card_writes_every_format_and_an_honest_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "alert.xml"
    source.write_bytes(KOREAN_CAP)
    out = tmp_path / "out"
    assert main(["card", "--cap", str(source), "--out", str(out), "--size", "256"]) == 0
    printed = capsys.readouterr().out
    assert "hazard heavy_rain" in printed and "report.json" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["card"]["language"] == "ko-KR"
    assert report["card"]["severity"] == "Extreme"
    assert report["card"]["expires"] == "2026-12-06T23:00:00+09:00"
    assert report["alt_text"].startswith("움직이는 경보 카드")
    names = sorted(entry["file"] for entry in report["files"])
    assert names == [
        "heavy_rain-card-poster.png",
        "heavy_rain-card.gif",
        "heavy_rain-card.mp4",
        "heavy_rain-card.webp",
    ]
    with Image.open(out / "heavy_rain-card.gif") as gif:
        assert gif.size == (256, 256) and gif.n_frames > 1


def test_card_refuses_bad_input_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.xml"
    assert main(["card", "--cap", str(missing), "--out", str(tmp_path / "out")]) == 2
    assert "cannot read" in capsys.readouterr().err
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<alert>")
    assert main(["card", "--cap", str(broken), "--out", str(tmp_path / "out")]) == 2
    odd_size = tmp_path / "alert.xml"
    odd_size.write_bytes(KOREAN_CAP)
    assert main(["card", "--cap", str(odd_size), "--out", str(tmp_path), "--size", "100"]) == 2
    assert "multiple of 8" in capsys.readouterr().err
