"""The loaded models, one field per role, as both profiles (tiny and full) produce them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class TextModel:
    """A causal language model with its tokenizer (the metadata generator)."""

    model: Any  # transformers PreTrainedModel, possibly wrapped by a peft PeftModel
    tokenizer: Any


@dataclass
class ProcessedModel:
    """A transformers model with the processor that prepares its inputs."""

    model: Any
    processor: Any


@dataclass
class ModelSet:
    """Every model the renderer uses, on one device and dtype. ``names`` maps role -> name.
    A role the configured methods do not use is None (`PipelineConfig.roles_needed`)."""

    llm: TextModel
    t2i: Any  # diffusers StableDiffusionPipeline
    inpaint: Any | None  # diffusers StableDiffusionInpaintPipeline (masked sampling)
    clip: ProcessedModel  # CLIPModel + CLIPProcessor
    grounding_dino: ProcessedModel | None  # LangSAM
    sam: ProcessedModel | None
    clipseg: ProcessedModel | None  # CLIPSeg
    vit: torch.nn.Module | None  # timm ViT-B/16 with an identity head (masked sampling)
    depth: ProcessedModel | None  # cinemagraph camera moves
    names: dict[str, str]
    device: torch.device
    dtype: torch.dtype
    lora_applied: bool = False
