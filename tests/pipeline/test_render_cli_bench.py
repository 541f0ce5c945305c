"""`cinealert bench render`: the tiny CPU mode and the full-size random-weights path (at a
reduced size, so the code that runs on a GPU is exercised here too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main

SMALL = ["--size", "64", "--candidates", "2", "--steps", "1", "--variants", "5", "--repeat", "1"]


@pytest.mark.slow
def test_tiny_bench_reports_every_stage_time_memory_and_flops(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "render",
            "--device",
            "cpu",
            "--method",
            "cinemagraph",
            *SMALL,
            "--json",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    assert results["mode"] == "tiny"
    assert results["measured_peak_tflops"] > 0
    stages = results["methods"]["cinemagraph"]["stages"]
    assert {"prompt", "t2i", "select", "mask", "animate", "encode", "total"} <= set(stages)
    assert stages["t2i"]["gflop"] > 0 and stages["t2i"]["peak_rss_mib"] > 0
    assert stages["total"]["gflop"] == pytest.approx(
        sum(row["gflop"] for name, row in stages.items() if name != "total")
    )
    assert 0.0 <= results["methods"]["cinemagraph"]["overhead_fraction"] <= 1.0


@pytest.mark.slow
def test_random_full_path_runs_reduced_on_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "render", "--models", "full", "--random-weights", "--reduced"]
    args += ["--device", "cpu", "--method", "cinemagraph", *SMALL, "--max-batch", "2"]
    assert main([*args, "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["mode"] == "random-full-reduced"
    assert {entry["name"] for entry in results["models"]} >= {"random-reduced/t2i"}
    assert results["t2i_largest_batch"]["batch"] == 2
    assert "| inpaint" not in capsys.readouterr().out  # stages, not sub-steps, are rows
    stages = results["methods"]["cinemagraph"]["stages"]
    assert stages["t2i"]["gflop"] > 0 and stages["mask"]["gflop"] > 0


def test_random_weights_needs_full(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="needs --models full"):
        main(["bench", "render", "--random-weights"])
