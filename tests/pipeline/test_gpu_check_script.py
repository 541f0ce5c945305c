"""bench/gpu_check.sh, the one GPU check: valid shell, and on a machine without an NVIDIA
GPU (CI, this build machine) it says so and runs nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu_check.sh"


def test_script_is_executable_shell() -> None:
    assert os.access(SCRIPT, os.X_OK)
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    text = SCRIPT.read_text()
    for part in ("--dtype float16", "masked-sampling cinemagraph", "--random-weights", "512"):
        assert part in text


def test_without_a_gpu_it_refuses_and_writes_nothing(tmp_path: Path) -> None:
    # A PATH with bash but an nvidia-smi that fails, as on a machine without a driver.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "nvidia-smi").write_text("#!/bin/sh\nexit 9\n")
    (fake_bin / "nvidia-smi").chmod(0o755)
    out = tmp_path / "gpu-check.json"
    result = subprocess.run(
        ["bash", str(SCRIPT), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"},
        check=False,
    )
    assert result.returncode == 3
    assert "no NVIDIA GPU" in result.stderr
    assert not out.exists()
