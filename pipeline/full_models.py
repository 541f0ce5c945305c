"""The ``full`` profile: real weights from hub ids or local directories.

Before anything is loaded, every file each role needs is located (a local directory, or
the Hugging Face cache — ``PipelineConfig.model_cache_dir`` when set, else the hub's
default — downloaded into it first unless ``HF_HUB_OFFLINE=1``). Anything missing
fails the whole load with one `MissingWeightsError` listing each role and file, so the
daemon never starts serving half a pipeline. Tokenizer files are checked explicitly: with
``HF_HUB_OFFLINE=1``, ``CLIPTokenizer.from_pretrained`` on a missing repo was seen to
*succeed* with a tokenizer that maps every word to one id (DESIGN.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import huggingface_hub
import timm
import torch
from diffusers import StableDiffusionPipeline, UNet2DConditionModel
from huggingface_hub import constants as hub_constants
from huggingface_hub.errors import HfHubHTTPError
from transformers import (
    AutoImageProcessor,
    AutoModelForCausalLM,
    AutoModelForDepthEstimation,
    AutoTokenizer,
    CLIPModel,
    CLIPProcessor,
    CLIPSegForImageSegmentation,
    CLIPSegProcessor,
    GroundingDinoForObjectDetection,
    GroundingDinoProcessor,
    SamModel,
    SamProcessor,
)

from pipeline import diffusion_parts
from pipeline.config import PipelineConfig
from pipeline.model_set import ModelSet, ProcessedModel, TextModel
from pipeline.training.adapter import apply_adapter

# Public defaults; each can be replaced by `CINEALERT_MODEL_<ROLE>` (hub id or directory).
DEFAULT_SOURCES: Mapping[str, str] = {
    "llm": "meta-llama/Llama-2-7b-chat-hf",
    "t2i": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "inpaint": "stable-diffusion-v1-5/stable-diffusion-inpainting",
    "clip": "openai/clip-vit-large-patch14",
    "grounding_dino": "IDEA-Research/grounding-dino-tiny",
    "sam": "facebook/sam-vit-base",
    "clipseg": "CIDAS/clipseg-rd64-refined",
    "vit": "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k",
    "depth": "depth-anything/Depth-Anything-V2-Small-hf",
}
# No public LoRA default: the paper's fine-tuned adapter is not published. Set
# CINEALERT_MODEL_LORA to an adapter directory or hub id to use one.

_TRANSFORMERS_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# Hub repos carry preprocessor_config.json; transformers 5 saves processor_config.json.
_PROCESSOR_CONFIG = ("preprocessor_config.json", "processor_config.json")


def _diffusers_component(folder: str, weights: str) -> tuple[tuple[str, ...], ...]:
    return (
        (f"{folder}/config.json",),
        (
            f"{folder}/{weights}.safetensors",
            f"{folder}/{weights}.fp16.safetensors",
            f"{folder}/{weights}.bin",
        ),
    )


_DIFFUSION_FILES: tuple[tuple[str, ...], ...] = (
    ("model_index.json",),
    ("scheduler/scheduler_config.json",),
    *_diffusers_component("unet", "diffusion_pytorch_model"),
    *_diffusers_component("vae", "diffusion_pytorch_model"),
    *_diffusers_component("text_encoder", "model"),
    # The tokenizer trap (module docstring): these files must exist, whatever
    # from_pretrained would say without them.
    ("tokenizer/vocab.json+tokenizer/merges.txt", "tokenizer/tokenizer.json"),
)

# role -> required files; each entry is a tuple of alternatives, any one of which will do.
# A group of files that must come together (vocab + merges) is one alternative joined by "+".
REQUIRED_FILES: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "llm": (
        ("config.json",),
        ("tokenizer.json", "tokenizer.model"),
        ("tokenizer_config.json",),
        _TRANSFORMERS_WEIGHTS,
    ),
    "lora": (
        ("adapter_config.json",),
        ("adapter_model.safetensors", "adapter_model.bin"),
    ),
    "t2i": _DIFFUSION_FILES,
    # Only the UNet: the rest is shared with t2i (pipeline/diffusion_parts.py).
    "inpaint": _diffusers_component("unet", "diffusion_pytorch_model"),
    "clip": (
        ("config.json",),
        _PROCESSOR_CONFIG,
        ("vocab.json+merges.txt", "tokenizer.json"),
        _TRANSFORMERS_WEIGHTS,
    ),
    "grounding_dino": (
        ("config.json",),
        _PROCESSOR_CONFIG,
        ("vocab.txt", "tokenizer.json"),
        _TRANSFORMERS_WEIGHTS,
    ),
    "sam": (("config.json",), _PROCESSOR_CONFIG, _TRANSFORMERS_WEIGHTS),
    "clipseg": (
        ("config.json",),
        _PROCESSOR_CONFIG,
        ("vocab.json+merges.txt", "tokenizer.json"),
        _TRANSFORMERS_WEIGHTS,
    ),
    "vit": (("config.json",), ("model.safetensors", "pytorch_model.bin")),
    "depth": (("config.json",), _PROCESSOR_CONFIG, _TRANSFORMERS_WEIGHTS),
}


class MissingWeightsError(RuntimeError):
    """Weights or tokenizer files the ``full`` profile needs are absent.

    ``missing`` maps role -> human-readable descriptions of what is missing."""

    def __init__(self, missing: Mapping[str, list[str]], offline: bool, cache_dir: Path) -> None:
        lines = [f"  {role}: {', '.join(items)}" for role, items in sorted(missing.items())]
        mode = (
            f"HF_HUB_OFFLINE=1, only directories and the hub cache {cache_dir} were searched"
            if offline
            else f"online, hub cache {cache_dir}"
        )
        super().__init__(
            "the full model profile cannot start; missing model files "
            f"({mode}; set CINEALERT_MODEL_<ROLE> to a directory or pre-fetch, see "
            "docs/pipeline.md):\n" + "\n".join(lines)
        )
        self.missing = dict(missing)
        self.cache_dir = cache_dir


@dataclass(frozen=True)
class ResolvedSource:
    """Where one role's files are on disk."""

    role: str
    source: str  # what was configured (hub id or directory)
    directory: Path  # local directory holding the files (a hub snapshot or the dir itself)


def roles_needed(config: PipelineConfig) -> list[str]:
    """Roles the config will load: those its animation methods use (the mask method picks
    LangSAM or CLIPSeg per method); LoRA only when configured."""
    roles = list(config.roles_needed())
    if config.model_sources.get("lora"):
        roles.append("lora")
    return roles


def source_for(config: PipelineConfig, role: str) -> str:
    """The configured source of a role, else the public default."""
    source = config.model_sources.get(role) or DEFAULT_SOURCES.get(role)
    if not source:
        raise MissingWeightsError(
            {role: ["no source configured"]}, hub_offline(), hub_cache_dir(config)
        )
    return source


def hub_cache_dir(config: PipelineConfig) -> Path:
    """The Hugging Face cache searched (and, online, filled) for hub-id sources:
    ``model_cache_dir`` (``CINEALERT_MODEL_CACHE_DIR``), else huggingface_hub's default."""
    if config.model_cache_dir is not None:
        return config.model_cache_dir
    # Read at call time: huggingface_hub resolves HF_HUB_CACHE / HF_HOME at import.
    return Path(hub_constants.HF_HUB_CACHE)


def hub_offline() -> bool:
    """Whether huggingface_hub is in offline mode (``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _locate(source: str, filename: str, offline: bool, cache_dir: Path) -> Path | None:
    """Local path of one file of a directory or hub repo (in ``cache_dir``), or None
    when it is absent."""
    if Path(source).is_dir():
        candidate = Path(source) / filename
        return candidate if candidate.is_file() else None
    cached = huggingface_hub.try_to_load_from_cache(source, filename, cache_dir=cache_dir)
    if isinstance(cached, str):
        return Path(cached)
    if offline:
        return None
    try:
        return Path(huggingface_hub.hf_hub_download(source, filename, cache_dir=cache_dir))
    except (HfHubHTTPError, OSError, ValueError):
        # The file is not in the repo, or the hub is unreachable: it is missing either way,
        # and the caller reports it with every other missing file.
        return None


def _snapshot_root(found: Path, filename: str) -> Path:
    root = found
    for _ in Path(filename).parts:
        root = root.parent
    return root


def resolve_sources(config: PipelineConfig) -> dict[str, ResolvedSource]:
    """Locate every file every needed role requires; raise `MissingWeightsError` listing
    all that are missing (not just the first)."""
    offline = hub_offline()
    cache_dir = hub_cache_dir(config)
    missing: dict[str, list[str]] = {}
    resolved: dict[str, ResolvedSource] = {}
    for role in roles_needed(config):
        source = source_for(config, role)
        root: Path | None = None
        for alternatives in REQUIRED_FILES[role]:
            found_any = False
            for alternative in alternatives:
                parts = alternative.split("+")
                located = [_locate(source, part, offline, cache_dir) for part in parts]
                if all(path is not None for path in located):
                    first = located[0]
                    if first is not None:
                        root = root or _snapshot_root(first, parts[0])
                    found_any = True
                    break
            if not found_any:
                missing.setdefault(role, []).append(f"{source}/{' or '.join(alternatives)}")
        if role not in missing and root is not None:
            resolved[role] = ResolvedSource(role=role, source=source, directory=root)
    if missing:
        raise MissingWeightsError(missing, offline, cache_dir)
    return resolved


def _half_only(directory: Path) -> bool:
    # Some repos ship only half-precision files; diffusers must be told to use them.
    unet = directory / "unet"
    return not any(
        (unet / name).is_file()
        for name in ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
    )


def _text_to_image(directory: Path, dtype: torch.dtype) -> Any:
    pipe = StableDiffusionPipeline.from_pretrained(  # type: ignore[no-untyped-call]
        directory,
        variant="fp16" if _half_only(directory) else None,
        torch_dtype=dtype,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        local_files_only=True,
    )
    pipe.scheduler = diffusion_parts.few_step_scheduler(pipe.scheduler.config)
    return diffusion_parts.tune(pipe)


def _inpainting(t2i: Any, directory: Path, dtype: torch.dtype) -> Any:
    """Only the inpainting UNet is read; VAE, text encoder, tokenizer and scheduler are
    the text-to-image pipeline's (pipeline/diffusion_parts.py says why that is exact)."""
    unet = UNet2DConditionModel.from_pretrained(  # type: ignore[no-untyped-call]
        directory,
        subfolder="unet",
        variant="fp16" if _half_only(directory) else None,
        torch_dtype=dtype,
        local_files_only=True,
    )
    return diffusion_parts.inpaint_sharing(t2i, unet)


def _processed(
    model_class: Any, processor_class: Any, directory: Path, dtype: torch.dtype
) -> ProcessedModel:
    model = model_class.from_pretrained(directory, dtype=dtype, local_files_only=True)
    model.eval()
    processor = processor_class.from_pretrained(directory, local_files_only=True)
    return ProcessedModel(model=model, processor=processor)


def _vit(directory: Path) -> torch.nn.Module:
    """A timm model from a hub-format directory (config.json + weights): the config's
    ``architecture`` and ``model_args`` (default ViT-B/16), head replaced by identity."""
    weights = directory / "model.safetensors"
    if not weights.is_file():
        weights = directory / "pytorch_model.bin"
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    model: torch.nn.Module = timm.create_model(
        str(config.get("architecture", "vit_base_patch16_224")),
        pretrained=True,
        num_classes=0,
        pretrained_cfg_overlay={"file": str(weights)},
        **dict(config.get("model_args", {})),
    )
    return model.eval()


def load_full(config: PipelineConfig, dtype: torch.dtype) -> ModelSet:
    """Check every file first, then load each role from its local directory."""
    sources = resolve_sources(config)
    directory = {role: resolved.directory for role, resolved in sources.items()}
    llm_model: Any = AutoModelForCausalLM.from_pretrained(
        directory["llm"], dtype=dtype, local_files_only=True
    )
    llm_model.eval()
    llm = TextModel(
        model=llm_model,
        tokenizer=AutoTokenizer.from_pretrained(directory["llm"], local_files_only=True),
    )
    lora_applied = "lora" in directory
    if lora_applied:
        # Checked first: an adapter for another base model is refused with a reason.
        llm = apply_adapter(llm, directory["lora"], sources["llm"].source)
    names = {role: resolved.source for role, resolved in sources.items()}

    def optional(role: str, model_class: Any, processor_class: Any) -> ProcessedModel | None:
        if role not in directory:
            return None
        return _processed(model_class, processor_class, directory[role], dtype)

    t2i = _text_to_image(directory["t2i"], dtype)
    return ModelSet(
        llm=llm,
        t2i=t2i,
        inpaint=_inpainting(t2i, directory["inpaint"], dtype) if "inpaint" in directory else None,
        clip=_processed(CLIPModel, CLIPProcessor, directory["clip"], dtype),
        grounding_dino=optional(
            "grounding_dino", GroundingDinoForObjectDetection, GroundingDinoProcessor
        ),
        sam=optional("sam", SamModel, SamProcessor),
        clipseg=optional("clipseg", CLIPSegForImageSegmentation, CLIPSegProcessor),
        vit=_vit(directory["vit"]) if "vit" in directory else None,
        depth=optional("depth", AutoModelForDepthEstimation, AutoImageProcessor),
        names=names,
        device=torch.device("cpu"),
        dtype=dtype,
        lora_applied=lora_applied,
    )
