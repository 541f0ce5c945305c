"""Precision and placement: every component of every model and pipeline takes the
requested dtype, and a whole tiny render runs in bfloat16 on CPU (the CPU stand-in for
half precision on a GPU), for both animation methods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from daemon.cli import main
from pipeline.config import PipelineConfig
from pipeline.interface import METHODS, RenderRequest
from pipeline.registry import all_modules, build_tiny, load_models, pipeline_modules
from pipeline.renderer import PipelineRenderer
from tests.pipeline.conftest import SWEEP_CONFIG

HALF_TYPES = [torch.float16, torch.bfloat16]


@pytest.mark.parametrize("dtype", HALF_TYPES, ids=str)
def test_place_casts_every_parameter_and_buffer_of_every_component(dtype: torch.dtype) -> None:
    models = build_tiny(PipelineConfig(profile="tiny", device="cpu"), torch.device("cpu"), dtype)
    modules = all_modules(models)
    # The VAE and text encoders of both diffusion pipelines are among them.
    for pipe in (models.t2i, models.inpaint):
        for part in pipeline_modules(pipe):
            assert any(part is module for module in modules)
    wrong = [
        f"{type(module).__name__}.{name}: {tensor.dtype}"
        for module in modules
        for name, tensor in (*module.named_parameters(), *module.named_buffers())
        if tensor.is_floating_point() and tensor.dtype != dtype
    ]
    assert wrong == []
    assert models.dtype == dtype


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_a_whole_tiny_render_runs_in_bfloat16_on_cpu(method: str) -> None:
    config = SWEEP_CONFIG.with_changes(dtype="bfloat16")
    models = load_models(config)
    # A hazard with a camera move, so the depth model runs too in the cinemagraph.
    result = PipelineRenderer(config, models).render(
        RenderRequest(hazard="landslide", method=method, seed=2)
    )
    assert result.extra["dtype"] == "bfloat16"
    assert [media.format for media in result.media] == ["gif", "webp", "mp4"]
    assert 0.0 <= result.clip_score <= 100.0


@pytest.mark.slow
def test_render_command_takes_a_dtype(tmp_path: Path) -> None:
    out = tmp_path / "out"
    small = ["--size", "64", "--candidates", "1", "--steps", "1", "--device", "cpu"]
    args = ["render", "--hazard", "flood", "--dtype", "bfloat16", *small, "--out", str(out)]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert {entry["dtype"] for entry in report["loaded"]} == {"bfloat16"}


def test_render_command_refuses_an_unknown_dtype_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "--hazard", "flood", "--dtype", "float8", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--dtype" in error and "float8" in error and "Traceback" not in error


def test_full_size_random_bench_models_take_the_dtype_too() -> None:
    # `cinealert bench render --models full --random-weights` placed its models the same
    # way, and died on the same float32 VAE; the reduced architectures show it on a CPU.
    from bench.full_random import build_random_full  # noqa: PLC0415

    models = build_random_full(torch.device("cpu"), torch.float16, reduced=True)
    wrong = [
        f"{type(module).__name__}.{name}"
        for module in all_modules(models)
        for name, tensor in (*module.named_parameters(), *module.named_buffers())
        if tensor.is_floating_point() and tensor.dtype != torch.float16
    ]
    assert wrong == []
