"""A LoRA adapter directory (peft's ``save_pretrained`` layout) checked against the base
model before use: an adapter trained for another base must be refused with a reason,
not fail deep inside peft or — worse — load and quietly produce nonsense."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from safetensors.torch import load_file

from pipeline.model_set import TextModel

# What the tiny profile's base LLM is called in adapter configs and reports.
TINY_BASE_NAME = "tiny-random/llm"
CONFIG_FILE = "adapter_config.json"
WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")


class AdapterError(ValueError):
    """The adapter directory is missing files or was trained for another base model."""


def base_model_label(name: str) -> str:
    """The comparable part of a base model name: a hub id and a directory named after the
    same model (``meta-llama/Llama-2-7b-chat-hf``, ``/models/Llama-2-7b-chat-hf``) agree."""
    return Path(name.rstrip("/")).name.lower()


def read_adapter_weights(directory: Path) -> dict[str, torch.Tensor]:
    """The adapter's tensors; refuses a directory without config or weights."""
    if not (directory / CONFIG_FILE).is_file():
        raise AdapterError(f"{directory}: not a LoRA adapter directory (no {CONFIG_FILE})")
    for name in WEIGHT_FILES:
        path = directory / name
        if path.is_file():
            if name.endswith(".safetensors"):
                return load_file(str(path))
            loaded: dict[str, torch.Tensor] = torch.load(
                path, map_location="cpu", weights_only=True
            )
            return loaded
    raise AdapterError(f"{directory}: no adapter weights ({' or '.join(WEIGHT_FILES)})")


def check_adapter(directory: Path, base: torch.nn.Module, base_name: str) -> dict[str, Any]:
    """Raise `AdapterError` unless every LoRA matrix fits a module of ``base`` and the
    adapter names the same base model; returns the adapter's config."""
    weights = read_adapter_weights(directory)
    config: dict[str, Any] = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    trained_for = str(config.get("base_model_name_or_path") or "")
    if trained_for and base_model_label(trained_for) != base_model_label(base_name):
        raise AdapterError(
            f"{directory}: adapter for another base model: trained on {trained_for!r}, "
            f"the loaded base model is {base_name!r} (the names' last parts must agree; "
            f"if they are the same model, set base_model_name_or_path in {CONFIG_FILE})"
        )
    for key, tensor in weights.items():
        if ".lora_A." not in key and ".lora_B." not in key:
            continue
        module_path = key.removeprefix("base_model.model.").split(".lora_")[0]
        try:
            module: Any = base.get_submodule(module_path)
        except AttributeError:
            raise AdapterError(
                f"{directory}: adapter for another base model ({trained_for or 'unnamed'}): "
                f"{base_name!r} has no module {module_path!r}"
            ) from None
        expected = module.in_features if ".lora_A." in key else module.out_features
        actual = tensor.shape[1] if ".lora_A." in key else tensor.shape[0]
        if expected != actual:
            raise AdapterError(
                f"{directory}: adapter for another base model ({trained_for or 'unnamed'}): "
                f"{module_path} is {module.in_features}->{module.out_features} in "
                f"{base_name!r}, the adapter's {key} has shape {tuple(tensor.shape)}"
            )
    return config


def apply_adapter(llm: TextModel, directory: Path, base_name: str) -> TextModel:
    """The base LLM wrapped with the checked adapter, in eval mode."""
    check_adapter(directory, llm.model, base_name)
    wrapped = PeftModel.from_pretrained(llm.model, str(directory)).eval()
    return TextModel(model=wrapped, tokenizer=llm.tokenizer)
