"""Measuring instruments for `cinealert bench render`: per-stage peak memory, per-stage
FLOPs, time spent inside model forward passes, and the device's measured matmul peak."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from pipeline.model_set import ModelSet

_PAGE_BYTES = 4096


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


@dataclass
class MemoryProbe:
    """Per stage: peak RSS (sampled every ~2 ms), tracemalloc peak (Python and numpy
    allocations) and, on CUDA, ``torch.cuda.max_memory_allocated``."""

    device: torch.device
    peak_rss: dict[str, int] = field(default_factory=dict)
    peak_traced: dict[str, int] = field(default_factory=dict)
    peak_cuda: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Measure one stage."""
        peak = [rss_bytes()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.002):
                peak[0] = max(peak[0], rss_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tracemalloc.start()
        tracemalloc.reset_peak()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            yield
        finally:
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
                self.peak_cuda[stage] = max(
                    self.peak_cuda.get(stage, 0), torch.cuda.max_memory_allocated(self.device)
                )
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            stop.set()
            sampler.join()
            peak[0] = max(peak[0], rss_bytes())
            self.peak_rss[stage] = max(self.peak_rss.get(stage, 0), peak[0])
            self.peak_traced[stage] = max(self.peak_traced.get(stage, 0), traced_peak)


@dataclass
class FlopProbe:
    """FLOPs of the torch operators each stage runs (``FlopCounterMode``)."""

    flops: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Count one stage."""
        counter = FlopCounterMode(display=False)
        with counter:
            yield
        self.flops[stage] = self.flops.get(stage, 0) + counter.get_total_flops()


def forward_modules(models: ModelSet) -> dict[str, torch.nn.Module]:
    """The outermost modules whose forward passes are "model time" (no nesting, so no
    double counting): LLM, UNets, VAE encoder/decoder, text encoder, CLIP, segmenters,
    ViT, depth."""
    llm: Any = models.llm.model
    base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
    modules: dict[str, torch.nn.Module] = {
        "llm": base,
        "t2i.unet": models.t2i.unet,
        "vae.encoder": models.t2i.vae.encoder,
        "vae.decoder": models.t2i.vae.decoder,
        "text_encoder": models.t2i.text_encoder,
        "clip": models.clip.model,
    }
    # Roles the configured methods do not use are not loaded (None).
    if models.inpaint is not None:
        modules["inpaint.unet"] = models.inpaint.unet
    if models.vit is not None:
        modules["vit"] = models.vit
    if models.depth is not None:
        modules["depth"] = models.depth.model
    for role in ("grounding_dino", "sam", "clipseg"):
        bundle = getattr(models, role)
        if bundle is not None:
            modules[role] = bundle.model
    return modules


class ForwardTimer:
    """Wall time inside the forward passes of `forward_modules` (CUDA-synchronised)."""

    def __init__(self, models: ModelSet) -> None:
        self.device = models.device
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        self._handles: list[Any] = []
        for module in forward_modules(models).values():
            self._handles.append(module.register_forward_pre_hook(self._before))
            self._handles.append(module.register_forward_hook(self._after))

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _before(self, module: torch.nn.Module, args: object) -> None:
        self._sync()
        self._started[id(module)] = time.perf_counter()

    def _after(self, module: torch.nn.Module, args: object, output: object) -> None:
        self._sync()
        self.seconds += time.perf_counter() - self._started.pop(id(module))

    def close(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()


def measured_peak_flops(device: torch.device, dtype: torch.dtype, size: int | None = None) -> float:
    """FLOP/s of a large square matmul on ``device``: the practical peak to compare with."""
    side = size or (8192 if device.type == "cuda" else 1024)
    a = torch.randn(side, side, device=device, dtype=dtype)
    b = torch.randn(side, side, device=device, dtype=dtype)
    repeats = 20 if device.type == "cuda" else 5
    torch.matmul(a, b)  # warm-up: kernel selection, clocks
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - started
    return 2.0 * side**3 * repeats / elapsed
