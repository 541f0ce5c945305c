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
    modules: dict[str, torch.nn.Module] = {"llm": models.llm.model, "t2i": models.t2i.unet}
    if models.inpaint is not None:
        modules["inpaint"] = models.inpaint.unet
    modules["clip"] = models.clip.model
    if models.vit is not None:
        modules["vit"] = models.vit
    if models.depth is not None:
        modules["depth"] = models.depth.model
    for role in ("grounding_dino", "sam", "clipseg"):
        bundle: ProcessedModel | None = getattr(models, role)
        if bundle is not None:
            modules[role] = bundle.model
    return modules


def _parameter_count(models: ModelSet, role: str, module: torch.nn.Module) -> int:
    count = sum(parameter.numel() for parameter in module.parameters())
    if role == "t2i":
        # A diffusion pipeline is UNet + VAE + text encoder; count all of it.
        for part in (models.t2i.vae, models.t2i.text_encoder):
            count += sum(parameter.numel() for parameter in part.parameters())
    elif role == "inpaint" and models.inpaint is not None:
        # Only what the inpainting pipeline does not share with text-to-image.
        for part in (models.inpaint.vae, models.inpaint.text_encoder):
            if part is not models.t2i.vae and part is not models.t2i.text_encoder:
                count += sum(parameter.numel() for parameter in part.parameters())
    return count


def pipeline_modules(pipe: Any) -> list[torch.nn.Module]:
    """Every torch module of a diffusers pipeline (UNet, VAE, text encoder, ...)."""
    return [part for part in pipe.components.values() if isinstance(part, torch.nn.Module)]


def all_modules(models: ModelSet) -> list[torch.nn.Module]:
    """Every distinct module of the set, each once even when two pipelines share it."""
    unique: dict[int, torch.nn.Module] = {}
    pipes = [pipe for pipe in (models.t2i, models.inpaint) if pipe is not None]
    for module in (
        *_modules_of(models).values(),
        *[part for pipe in pipes for part in pipeline_modules(pipe)],
    ):
        unique.setdefault(id(module), module)
    return list(unique.values())


def _cast(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
    floating = [
        tensor for tensor in (*module.parameters(), *module.buffers()) if tensor.is_floating_point()
    ]
    # Cast only when something differs: diffusers warns on every dtype cast of a model.
    # torch's own `to`, not diffusers' override: that one only adds a warning per cast
    # about modules to keep in float32, and Stable Diffusion's models list none.
    if any(tensor.dtype != dtype for tensor in floating):
        torch.nn.Module.to(module, dtype=dtype)
    if any(tensor.device != device for tensor in (*module.parameters(), *module.buffers())):
        torch.nn.Module.to(module, device=device)
    module.eval()


def place(models: ModelSet, device: torch.device, dtype: torch.dtype) -> ModelSet:
    """Move every module of every role and every pipeline component (UNet, VAE, text
    encoder, ...) to ``device``/``dtype`` in eval mode. Each component is cast on its own:
    a check on one of them (the UNet, as before) would leave the others in float32."""
    for module in all_modules(models):
        _cast(module, device, dtype)
    models.device, models.dtype = device, dtype
    return models


def build_tiny(config: PipelineConfig, device: torch.device, dtype: torch.dtype) -> ModelSet:
    """Every tiny model the config's methods need, from small configs (seeded random
    weights); the LoRA adapter is applied through peft so the adapter path is exercised."""
    roles = config.roles_needed()
    # A configured adapter (CINEALERT_MODEL_LORA, e.g. from `cinealert train-prompter`)
    # replaces the random one, checked against the tiny base first.
    lora_source = config.model_sources.get("lora")
    llm = (
        apply_adapter(tiny_models.build_llm(), Path(lora_source), TINY_BASE_NAME)
        if lora_source
        else tiny_models.apply_tiny_lora(tiny_models.build_llm())
    )
    t2i, inpaint = tiny_models.build_diffusion()
    models = ModelSet(
        llm=llm,
        t2i=t2i,
        inpaint=inpaint if "inpaint" in roles else None,
        clip=tiny_models.build_clip(),
        grounding_dino=tiny_models.build_grounding_dino() if "grounding_dino" in roles else None,
        sam=tiny_models.build_sam() if "sam" in roles else None,
        clipseg=tiny_models.build_clipseg() if "clipseg" in roles else None,
        vit=tiny_models.build_vit() if "vit" in roles else None,
        depth=tiny_models.build_depth() if "depth" in roles else None,
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
    if models.inpaint is not None:
        inpaint_fn = t2i.make_inpaint_fn(models.inpaint, "warm", "", steps=1, guidance=1.5)
        timed("inpaint", lambda: inpaint_fn(image, mask.fallback_region(64, 64), [0]))
    timed("clip", lambda: select.select_candidate(models.clip, [image], "warm"))
    if models.grounding_dino is not None and models.sam is not None:
        gd, sam = models.grounding_dino, models.sam
        timed("langsam", lambda: mask.langsam_mask(gd, sam, image, "warm"))
    if models.clipseg is not None:
        clipseg = models.clipseg
        timed("clipseg", lambda: mask.clipseg_mask(clipseg, image, "warm"))
    if models.depth is not None:
        depth_model = models.depth
        timed("depth", lambda: depth.estimate_depth(depth_model, image))
    if models.vit is not None:
        vit, vit_input = models.vit, torch.zeros(1, 3, 224, 224, device=models.device)
        with torch.inference_mode():
            timed("vit", lambda: vit(vit_input.to(models.dtype)))
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
        config.roles_needed(),
        config.torch_compile,
        tuple(sorted(config.model_sources.items())),
        str(config.model_cache_dir),
    )


def compile_unets(models: ModelSet) -> None:
    """``torch.compile`` the UNets in place (``PipelineConfig.torch_compile``): they are
    where nearly all the diffusion FLOPs go; the compile itself happens on first use."""
    for pipe in (models.t2i, models.inpaint):
        if pipe is not None:
            pipe.unet.compile()


def offload_llm(models: ModelSet) -> bool:
    """Move the metadata LLM to CPU memory (its prompts are cached); True if it moved."""
    model: Any = models.llm.model
    if next(model.parameters()).device.type == "cpu":
        return False
    model.to(device=torch.device("cpu"))
    if models.device.type == "cuda":
        torch.cuda.empty_cache()  # hand the freed blocks back, so peak memory shows it
    return True


def load_models(config: PipelineConfig) -> ModelSet:
    """Load (once per process and key) every model the config needs."""
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    key = cache_key(config, device, dtype)
    with _CACHE_LOCK:
        if key not in _CACHE:
            if config.profile == "tiny":
                models = build_tiny(config, device, dtype)
            else:
                models = place(full_models.load_full(config, dtype), device, dtype)
            if config.torch_compile:
                compile_unets(models)
            _CACHE[key] = models
        return _CACHE[key]
