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
    """Every model the renderer uses, on one device and dtype. ``names`` maps role -> name."""

    llm: TextModel
    t2i: Any  # diffusers StableDiffusionPipeline
    inpaint: Any  # diffusers StableDiffusionInpaintPipeline
    clip: ProcessedModel  # CLIPModel + CLIPProcessor
    grounding_dino: ProcessedModel | None  # only with mask method "langsam"
    sam: ProcessedModel | None
    clipseg: ProcessedModel | None  # only with mask method "clipseg"
    vit: torch.nn.Module  # timm ViT-B/16 with an identity head
    depth: ProcessedModel
    names: dict[str, str]
    device: torch.device
    dtype: torch.dtype
    lora_applied: bool = False
