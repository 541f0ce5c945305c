"""Model registry: loads every model of a profile once, on one device and dtype, warms each
up, and reports what it loaded (role -> name, parameters, dtype, device)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline import full_models, tiny_models
from pipeline.config import ROLES, PipelineConfig
from pipeline.model_set import ModelSet, ProcessedModel
from pipeline.training.adapter import TINY_BASE_NAME, apply_adapter


class RegistryError(RuntimeError):
    """A model could not be loaded or placed; the message names the role and setting."""


@dataclass(frozen=True)
class LoadedModel:
    """What the registry loaded for one role."""

    role: str
    name: str
    parameters: int
    dtype: str
    device: str


def resolve_device(setting: str) -> torch.device:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; anything else is checked."""
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(setting)
    except RuntimeError as error:
        raise RegistryError(f"device {setting!r} is not a torch device: {error}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RegistryError(f"device {setting!r} requested but CUDA is not available")
    return device


def resolve_dtype(setting: str, device: torch.device) -> torch.dtype:
    """``auto`` -> float16 on CUDA, float32 on CPU (CPU half precision is slow and lossy)."""
    if setting == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[setting]


def _modules_of(models: ModelSet) -> dict[str, torch.nn.Module]:
    modules: dict[str, torch.nn.Module] = {
        "llm": models.llm.model,
        "t2i": models.t2i.unet,
        "inpaint": models.inpaint.unet,
        "clip": models.clip.model,
        "vit": models.vit,
        "depth": models.depth.model,
    }
    for role in ("grounding_dino", "sam", "clipseg"):
        bundle: ProcessedModel | None = getattr(models, role)
        if bundle is not None:
            modules[role] = bundle.model
    return modules


def _parameter_count(models: ModelSet, role: str, module: torch.nn.Module) -> int:
    count = sum(parameter.numel() for parameter in module.parameters())
    if role in ("t2i", "inpaint"):
        # A diffusion pipeline is UNet + VAE + text encoder; count all of it.
        pipe = models.t2i if role == "t2i" else models.inpaint
        for part in (pipe.vae, pipe.text_encoder):
            count += sum(parameter.numel() for parameter in part.parameters())
    return count


def place(models: ModelSet, device: torch.device, dtype: torch.dtype) -> ModelSet:
    """Move every model to ``device``/``dtype`` in eval mode."""
    for module in _modules_of(models).values():
        if next(module.parameters()).dtype != dtype:
            module.to(dtype=dtype)
        module.to(device=device).eval()
    for pipe in (models.t2i, models.inpaint):
        # Only cast when the dtype changes: diffusers warns on every cast of a pipeline.
        if pipe.unet.dtype != dtype:
            pipe.to(dtype=dtype)
        pipe.to(device=device)
    models.device, models.dtype = device, dtype
    return models


def build_tiny(config: PipelineConfig, device: torch.device, dtype: torch.dtype) -> ModelSet:
    """Every tiny model from its small config (seeded random weights); the LoRA adapter is
    applied through peft so the adapter path is exercised too."""
    # A configured adapter (CINEALERT_MODEL_LORA, e.g. from `cinealert train-prompter`)
    # replaces the random one, checked against the tiny base first.
    lora_source = config.model_sources.get("lora")
    llm = (
        apply_adapter(tiny_models.build_llm(), Path(lora_source), TINY_BASE_NAME)
        if lora_source
        else tiny_models.apply_tiny_lora(tiny_models.build_llm())
    )
    t2i, inpaint = tiny_models.build_diffusion()
    langsam = config.mask_method == "langsam"
    models = ModelSet(
        llm=llm,
        t2i=t2i,
        inpaint=inpaint,
        clip=tiny_models.build_clip(),
        grounding_dino=tiny_models.build_grounding_dino() if langsam else None,
        sam=tiny_models.build_sam() if langsam else None,
        clipseg=None if langsam else tiny_models.build_clipseg(),
        vit=tiny_models.build_vit(),
        depth=tiny_models.build_depth(),
        names={role: f"tiny-random/{role}" for role in ROLES}
        | ({"lora": lora_source} if lora_source else {}),
        device=device,
        dtype=dtype,
        lora_applied=True,
    )
    return place(models, device, dtype)


def describe(models: ModelSet) -> list[LoadedModel]:
    """One line per loaded role: name, parameter count, dtype and device."""
    described = []
    for role, module in _modules_of(models).items():
        parameter = next(module.parameters())
        described.append(
            LoadedModel(
                role=role,
                name=models.names[role],
                parameters=_parameter_count(models, role, module),
                dtype=str(parameter.dtype).removeprefix("torch."),
                device=str(parameter.device),
            )
        )
    if models.lora_applied:
        described.append(
            LoadedModel(
                role="lora",
                name=models.names["lora"],
                parameters=sum(
                    p.numel() for n, p in models.llm.model.named_parameters() if "lora_" in n
                ),
                dtype=str(models.dtype).removeprefix("torch."),
                device=str(models.device),
            )
        )
    return described


def warm_up(models: ModelSet) -> dict[str, float]:
    """One small forward pass per model so kernels, caches and lazy inits happen now,
    not during the first alert. Returns milliseconds per role."""
    # Imported here: the stages import the registry's types, not the other way round.
    from pipeline import depth, mask, select, t2i  # noqa: PLC0415

    timings: dict[str, float] = {}
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)

    def timed(role: str, action: Any) -> None:
        started = time.perf_counter()
        action()
        timings[role] = (time.perf_counter() - started) * 1000.0

    tokenizer = models.llm.tokenizer
    pad_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    timed(
        "llm",
        lambda: models.llm.model.generate(
            **tokenizer("[INST] warm [/INST]", return_tensors="pt").to(models.device),
            max_new_tokens=2,
            do_sample=False,
            pad_token_id=pad_id,
        ),
    )
    timed(
        "t2i",
        lambda: t2i.generate_candidates(
            models.t2i, "warm", "", count=1, size=64, steps=1, guidance=1.5, seed=0
        ),
    )
    timed(
        "inpaint",
        lambda: t2i.make_inpaint_fn(models.inpaint, "warm", "", steps=1, guidance=1.5)(
            image, mask.fallback_region(64, 64), [0]
        ),
    )
    timed("clip", lambda: select.select_candidate(models.clip, [image], "warm"))
    if models.grounding_dino is not None and models.sam is not None:
        gd, sam = models.grounding_dino, models.sam
        timed("langsam", lambda: mask.langsam_mask(gd, sam, image, "warm"))
    if models.clipseg is not None:
        clipseg = models.clipseg
        timed("clipseg", lambda: mask.clipseg_mask(clipseg, image, "warm"))
    timed("depth", lambda: depth.estimate_depth(models.depth, image))
    vit_input = torch.zeros(1, 3, 224, 224, device=models.device, dtype=models.dtype)
    with torch.inference_mode():
        timed("vit", lambda: models.vit(vit_input))
    return timings


_CACHE: dict[tuple[object, ...], ModelSet] = {}
_CACHE_LOCK = threading.Lock()


def cache_key(
    config: PipelineConfig, device: torch.device, dtype: torch.dtype
) -> tuple[object, ...]:
    """Models depend on profile, placement, mask method and sources (a hub id names
    different files in another cache dir), not render knobs."""
    return (
        config.profile,
        str(device),
        str(dtype),
        config.mask_method,
        tuple(sorted(config.model_sources.items())),
        str(config.model_cache_dir),
    )


def load_models(config: PipelineConfig) -> ModelSet:
    """Load (once per process and key) every model the config needs."""
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    key = cache_key(config, device, dtype)
    with _CACHE_LOCK:
        if key not in _CACHE:
            if config.profile == "tiny":
                _CACHE[key] = build_tiny(config, device, dtype)
            else:
                _CACHE[key] = place(full_models.load_full(config, dtype), device, dtype)
        return _CACHE[key]
