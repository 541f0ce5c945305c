"""`cinealert bench render`: per-stage time, peak memory and FLOPs of the real renderer.

Modes:
- ``--models tiny`` (default): the tiny profile, on CPU unless a GPU is present.
- ``--models full --random-weights``: full-size architectures (bench/full_random.py) with
  random weights at 512 px; t2i also runs at the largest batch that fits, and each stage's
  FLOPs are compared with the device's measured matmul peak. ``--reduced`` shrinks the
  architectures so the same path runs on a CPU (tests).
- ``--models full`` alone: the real weights from the registry (see docs/pipeline.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from bench.render_probes import FlopProbe, ForwardTimer, MemoryProbe, measured_peak_flops
from pipeline import registry, t2i
from pipeline.config import DTYPES, PipelineConfig
from pipeline.interface import METHODS, RenderRequest
from pipeline.model_set import ModelSet
from pipeline.registry import describe, load_models, resolve_device, resolve_dtype
from pipeline.renderer import PipelineRenderer

HELP = "pipeline render time per stage"
MIB = 1024 * 1024
# Stages whose time is (almost) all model forward passes.
MODEL_STAGES = ("prompt", "t2i", "select", "mask", "depth")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare profile, sizes, repetitions and outputs."""
    parser.add_argument("--models", choices=("tiny", "full"), default="tiny")
    parser.add_argument("--random-weights", action="store_true", help="full-size, random weights")
    parser.add_argument("--reduced", action="store_true", help="shrink --random-weights models")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", choices=DTYPES, default="auto", help="auto: float16 on CUDA")
    parser.add_argument("--method", choices=(*METHODS, "both"), default="both")
    parser.add_argument("--hazard", default="flood")
    parser.add_argument("--repeat", type=int, default=3, help="timed renders per method")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument(
        "--steps", type=int, default=None, help="default: the profile's (20 full, 4 tiny)"
    )
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--max-batch", type=int, default=256, help="cap of the batch search")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")


def _config(args: argparse.Namespace) -> PipelineConfig:
    return PipelineConfig(
        profile=args.models,
        device=args.device,
        dtype=args.dtype,
        image_size=args.size,
        candidates=args.candidates,
        steps=args.steps,
        # One method: only its models load, as in the daemon.
        method=None if args.method == "both" else args.method,
        variants=args.variants,
    )


def _models(args: argparse.Namespace, config: PipelineConfig) -> ModelSet:
    if args.models == "full" and args.random_weights:
        # Imported here: only this mode needs the full-size builders.
        from bench.full_random import build_random_full  # noqa: PLC0415

        device = resolve_device(config.device)
        return build_random_full(device, resolve_dtype(config.dtype, device), reduced=args.reduced)
    return load_models(config)


def largest_t2i_batch(models: ModelSet, size: int, steps: int, limit: int) -> dict[str, Any]:
    """Double the text-to-image batch until it no longer fits (CUDA OOM) or hits ``limit``;
    report the largest that ran and its images per second."""
    best: dict[str, Any] = {"batch": 0, "images_per_s": 0.0, "stopped_by": "limit"}
    batch = 1
    while batch <= limit:
        try:
            started = time.perf_counter()
            t2i.generate_candidates(
                models.t2i, "bench", "", count=batch, size=size, steps=steps, guidance=7.5, seed=0
            )
            if models.device.type == "cuda":
                torch.cuda.synchronize(models.device)
            elapsed = time.perf_counter() - started
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            best["stopped_by"] = f"out of memory at batch {batch}"
            break
        best.update(batch=batch, images_per_s=batch / elapsed)
        batch *= 2
    return best


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark and return every number it measured."""
    config = _config(args)
    models = _models(args, config)
    size = config.resolved_image_size
    methods = METHODS if args.method == "both" else (args.method,)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_threads": torch.get_num_threads(),
            "device": str(models.device),
            "gpu": torch.cuda.get_device_name(models.device)
            if models.device.type == "cuda"
            else None,
            "dtype": str(models.dtype).removeprefix("torch."),
            "torch": torch.__version__,
        },
        "mode": "random-full" + ("-reduced" if args.reduced else "")
        if args.random_weights
        else args.models,
        "config": {
            "size": size,
            "candidates": config.candidates,
            "steps": config.resolved_steps,
            "variants": config.variants,
        },
        "models": [entry.__dict__ for entry in describe(models)],
        "methods": {},
    }
    peak = measured_peak_flops(models.device, models.dtype)
    results["measured_peak_tflops"] = peak / 1e12
    # One renderer, so its prompt cache works as in the daemon: the warm-up render writes
    # the prompt, the measured ones reuse it (the targets are "with the prompt cached").
    renderer = PipelineRenderer(config, models)
    for method in methods:
        request = RenderRequest(hazard=args.hazard, method=method, seed=1)
        renderer.probe = None
        renderer.render(request)  # warm-up, not measured
        if config.llm_offload and models.device.type != "cpu":
            # The serving memory plan: the LLM leaves the GPU once its prompts are cached.
            results["llm_offloaded"] = registry.offload_llm(models) or results.get(
                "llm_offloaded", False
            )
        timings: list[dict[str, float]] = []
        forward = ForwardTimer(models)
        try:
            for _ in range(args.repeat):
                timings.append(renderer.render(request).timings_ms)
        finally:
            forward.close()
        memory = MemoryProbe(models.device)
        renderer.probe = memory
        renderer.render(request)
        flops = FlopProbe()
        renderer.probe = flops
        renderer.render(request)
        stages: dict[str, Any] = {}
        for stage in timings[0]:
            median_ms = statistics.median(run[stage] for run in timings)
            stage_flops = flops.flops.get(stage, 0)
            achieved = stage_flops / (median_ms / 1000.0) if median_ms > 0 else 0.0
            stages[stage] = {
                "median_ms": median_ms,
                "peak_rss_mib": memory.peak_rss.get(stage, 0) / MIB,
                "peak_traced_mib": memory.peak_traced.get(stage, 0) / MIB,
                "peak_cuda_mib": memory.peak_cuda.get(stage, 0) / MIB,
                "gflop": stage_flops / 1e9,
                "achieved_tflops": achieved / 1e12,
                "fraction_of_peak": achieved / peak if stage != "total" else None,
            }
        for key in ("peak_rss_mib", "peak_traced_mib", "peak_cuda_mib"):
            stages["total"][key] = max(row[key] for name, row in stages.items() if name != "total")
        total_flops = sum(flops.flops.values())
        total_s = stages["total"]["median_ms"] / 1000.0
        stages["total"].update(
            gflop=total_flops / 1e9, fraction_of_peak=total_flops / total_s / peak
        )
        # Forward time and wall time over the same renders (a median would mix runs).
        forward_s = forward.seconds / args.repeat
        mean_total_s = statistics.fmean(run["total"] for run in timings) / 1000.0
        results["methods"][method] = {
            "stages": stages,
            "model_forward_ms": forward_s * 1000.0,
            "mean_total_ms": mean_total_s * 1000.0,
            "overhead_fraction": max(0.0, 1.0 - forward_s / mean_total_s),
        }
    if args.random_weights:
        results["t2i_largest_batch"] = largest_t2i_batch(
            models, size, config.resolved_steps, args.max_batch
        )
    return results


def markdown(results: dict[str, Any]) -> str:
    """The results as the table docs/BENCHMARKS.md carries."""
    machine = results["machine"]
    lines = [
        f"Mode `{results['mode']}` on {machine['gpu'] or machine['processor']} "
        f"({machine['device']}, {machine['dtype']}, {machine['cpu_threads']} torch threads, "
        f"torch {machine['torch']}); {results['config']}; measured matmul peak "
        f"{results['measured_peak_tflops']:.3f} TFLOP/s.",
        "",
    ]
    memory_column = "peak CUDA MiB" if machine["device"].startswith("cuda") else "peak RSS MiB"
    for method, data in results["methods"].items():
        lines += [
            f"**{method}** — model forward passes {data['model_forward_ms']:.0f} ms of "
            f"{data['mean_total_ms']:.0f} ms per render (means over the timed renders); "
            f"pipeline overhead {100 * data['overhead_fraction']:.1f} % of the total.",
            "",
            f"| stage | median ms | {memory_column} | traced MiB | GFLOP | % of peak |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for stage, row in data["stages"].items():
            memory = (
                row["peak_cuda_mib"]
                if machine["device"].startswith("cuda")
                else row["peak_rss_mib"]
            )
            fraction = row["fraction_of_peak"]
            lines.append(
                f"| {stage} | {row['median_ms']:.1f} | {memory:.0f} | "
                f"{row['peak_traced_mib']:.1f} | {row['gflop']:.2f} | "
                f"{'' if fraction is None else f'{100 * fraction:.2f}'} |"
            )
        lines.append("")
    if "t2i_largest_batch" in results:
        best = results["t2i_largest_batch"]
        lines.append(
            f"t2i largest batch: {best['batch']} images ({best['images_per_s']:.2f} images/s; "
            f"stopped by {best['stopped_by']})."
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run, print the markdown table, optionally write JSON."""
    if args.reduced and not args.random_weights:
        raise SystemExit("--reduced only applies to --random-weights")
    if args.random_weights and args.models != "full":
        raise SystemExit("--random-weights needs --models full")
    results = run_bench(args)
    print(markdown(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0
