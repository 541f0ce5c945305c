"""`cinealert bench card` end to end on a few cards: every stage reported, determinism
checked, the process's affinity put back. No timing is asserted: speed targets are
checked with the benchmark itself (docs/BENCHMARKS.md), never with timed tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.card import FORMATS, STABLE_FORMATS
from daemon.cli import main

ENCODERS = ("gif", "webp", "mp4", "poster")


def test_card_bench_reports_every_stage_and_verifies_determinism(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    affinity = os.sched_getaffinity(0)
    out = tmp_path / "card.json"
    args = ["bench", "card", "--repeat", "1", "--hazards", "flood,earthquake"]
    args += ["--scripts", "latin,korean,arabic", "--webp-variants", "method0", "--json", str(out)]
    assert main(args) == 0
    assert os.sched_getaffinity(0) == affinity

    results = json.loads(out.read_text())
    assert results["cards_timed"] == 2 * 3
    assert results["config"]["hazards"] == ["flood", "earthquake"]
    assert results["machine"]["core"] == min(affinity)
    stages = results["stages"]
    assert set(stages) == {"draw", *ENCODERS, "webp:method0", "render_total"}
    for row in stages.values():
        assert 0 < row["median_ms"] <= row["p95_ms"] <= row["max_ms"]
    assert set(results["bytes"]) == {*ENCODERS, "webp:method0"}
    assert all(size["median"] > 0 for size in results["bytes"].values())
    assert results["peak_rss_mib"] > 0

    determinism = results["determinism"]
    assert determinism["verified"] is True
    for name in FORMATS:
        assert determinism[name]["comparisons"] == 6  # the renderer's copy of each card
    assert all(determinism[name]["mismatches"] == 0 for name in STABLE_FORMATS)
    assert "| render_total |" in capsys.readouterr().out


def test_unknown_names_are_refused_before_anything_runs() -> None:
    with pytest.raises(SystemExit, match="unknown hazards: volcano"):
        main(["bench", "card", "--hazards", "flood,volcano"])
    with pytest.raises(SystemExit, match="unknown WebP variants"):
        main(["bench", "card", "--webp-variants", "method9"])
