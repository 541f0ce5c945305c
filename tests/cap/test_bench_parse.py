"""`cinealert bench parse` runs end to end on a small corpus (no timing is asserted)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from daemon.cli import main
from tests.cap.cap_fixtures import FIXTURES


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    for name in ("alert_1_2_full.xml", "edxl_de_1_0.xml", "billion_laughs.xml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "LABELS.tsv").write_text("path\texpect\n")  # not a document: skipped
    return tmp_path


def test_bench_parse_prints_json_with_both_rates(
    small_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["bench", "parse", "--corpus", str(small_corpus), "--rounds", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert result["files"] == 3
    assert result["alerts_per_round"] == 3  # 1 bare alert + 2 in the envelope; the bomb: 0
    assert result["ours_alerts_per_s"] > 0 and result["raw_alerts_per_s"] > 0
    assert result["ratio"] == pytest.approx(
        result["ours_alerts_per_s"] / result["raw_alerts_per_s"]
    )
    assert result["target_met"] == (result["ratio"] >= result["target_ratio"])
    assert "raw lxml.etree.fromstring" in captured.err  # the table goes to stderr with --json


def test_bench_parse_table(small_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "parse", "--corpus", str(small_corpus), "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "parse+validate+classify" in out
    assert "ratio ours/raw" in out


def test_bench_parse_missing_corpus_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "parse", "--corpus", str(tmp_path / "nope")]) == 1
    assert "corpus folder not found" in capsys.readouterr().err


def test_bench_help_is_passed_to_the_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "parse", "--help"])
    assert exited.value.code == 0
    assert "cinealert bench parse" in capsys.readouterr().out


def test_unknown_benchmark_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "nonsense"])
    assert exited.value.code == 2
