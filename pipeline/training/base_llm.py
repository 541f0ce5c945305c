"""The base language model a LoRA adapter is trained on: the tiny random Llama, or a
causal LM from a local directory / the hub cache (the files the render profile needs)."""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from pipeline import tiny_models
from pipeline.full_models import REQUIRED_FILES
from pipeline.model_set import TextModel
from pipeline.training.adapter import TINY_BASE_NAME
from pipeline.training.local_weights import locate

TINY_SOURCE = "tiny"


def load_base_llm(source: str, device: torch.device) -> tuple[TextModel, str]:
    """The base model on ``device`` (float32: LoRA training wants full-precision
    gradients on CPU) and the name adapters record as their base."""
    if source == TINY_SOURCE:
        llm, name = tiny_models.build_llm(), TINY_BASE_NAME
    else:
        directory = locate("base language model", source, REQUIRED_FILES["llm"])
        model: Any = AutoModelForCausalLM.from_pretrained(
            directory, dtype=torch.float32, local_files_only=True
        )
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        llm, name = TextModel(model=model, tokenizer=tokenizer), source
    llm.model.to(device)
    return llm, name
