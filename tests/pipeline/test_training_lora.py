"""LoRA training: checkpoints and resume, and adapters refused for another base model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM

from daemon.cli import main
from pipeline import tiny_models
from pipeline.training.adapter import TINY_BASE_NAME, AdapterError, apply_adapter
from pipeline.training.lora_training import LoraSettings, train_lora
from pipeline.training.pairs import TrainingPair

PAIRS = [
    TrainingPair(
        "[INST] Flood [/INST]",
        f"the image captures flood water over the street {word}. Do not include any humans.",
        "flood",
        f"/p/{index}.png",
        "validation" if index == 0 else "train",
    )
    for index, word in enumerate(["at dusk", "in rain", "near a river", "at night", "in fog"])
]


def _train(out: Path, epochs: int, resume: bool = False) -> dict[str, object]:
    llm = tiny_models.build_llm()
    settings = LoraSettings(epochs=epochs, batch_size=2, learning_rate=0.01, dropout=0.0)
    report, _ = train_lora(
        llm.model, llm.tokenizer, PAIRS, out, settings, base_name=TINY_BASE_NAME, resume=resume
    )
    return report


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path: Path) -> None:
    whole = _train(tmp_path / "whole", epochs=3)
    _train(tmp_path / "split", epochs=1)  # stopped after its first epoch ...
    resumed = _train(tmp_path / "split", epochs=3, resume=True)  # ... and continued
    assert resumed["resumed_from"] == str(tmp_path / "split" / "checkpoints" / "step-2")
    assert resumed["steps"] == whole["steps"] == 6
    assert resumed["validation_loss_per_epoch"] == pytest.approx(whole["validation_loss_per_epoch"])
    first = load_file(str(tmp_path / "whole" / "adapter_model.safetensors"))
    second = load_file(str(tmp_path / "split" / "adapter_model.safetensors"))
    assert first.keys() == second.keys()
    for key in first:
        torch.testing.assert_close(first[key], second[key])


def _foreign_adapter(out: Path, hidden: int, base_name: str) -> Path:
    config = LlamaConfig(
        vocab_size=64, hidden_size=hidden, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2,
    )  # fmt: skip
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(r=2, target_modules=["q_proj"]))
    model.peft_config["default"].base_model_name_or_path = base_name
    model.save_pretrained(str(out), save_embedding_layers=False)
    return out


def test_an_adapter_for_another_base_model_is_refused(tmp_path: Path) -> None:
    wider = _foreign_adapter(tmp_path / "wider", hidden=48, base_name=TINY_BASE_NAME)
    with pytest.raises(AdapterError, match=r"another base model.*q_proj is 32->32"):
        apply_adapter(tiny_models.build_llm(), wider, TINY_BASE_NAME)
    named = _foreign_adapter(tmp_path / "named", hidden=32, base_name="meta-llama/Llama-2-7b-hf")
    with pytest.raises(AdapterError, match="trained on 'meta-llama/Llama-2-7b-hf'"):
        apply_adapter(tiny_models.build_llm(), named, TINY_BASE_NAME)
    with pytest.raises(AdapterError, match=r"no adapter_config\.json"):
        apply_adapter(tiny_models.build_llm(), tmp_path, TINY_BASE_NAME)


@pytest.mark.slow
def test_render_refuses_a_foreign_adapter_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = _foreign_adapter(tmp_path / "wider", hidden=48, base_name=TINY_BASE_NAME)
    monkeypatch.setenv("CINEALERT_MODEL_LORA", str(adapter))
    args = ["render", "--hazard", "flood", "--size", "64", "--candidates", "1", "--steps", "1"]
    assert main([*args, "--models", "tiny", "--out", str(tmp_path / "out")]) == 2
    assert "adapter for another base model" in capsys.readouterr().err


def test_train_prompter_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "adapter")
    assert main(["train-prompter", "--data", str(tmp_path / "none.jsonl"), "--out", out]) == 2
    assert "no such pairs file" in capsys.readouterr().err
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps(PAIRS[1].__dict__) + "\n")
    assert main(["train-prompter", "--data", str(pairs), "--out", out, "--base", "/no/llm"]) == 2
    assert "base language model '/no/llm' cannot be loaded" in capsys.readouterr().err
    assert main(["train-prompter", "--data", str(pairs), "--out", out, "--rank", "0"]) == 2
    assert "invalid LoRA training settings" in capsys.readouterr().err
    pairs.write_text('{"prompt": "x"}\n')
    assert main(["train-prompter", "--data", str(pairs), "--out", out]) == 2
    assert "not a training pair" in capsys.readouterr().err


def test_checkpoints_continue_only_their_own_run(tmp_path: Path) -> None:
    _train(tmp_path / "run", epochs=1)
    with pytest.raises(ValueError, match="already holds checkpoints"):
        _train(tmp_path / "run", epochs=2)
    llm = tiny_models.build_llm()
    other_shape = LoraSettings(epochs=2, batch_size=2, rank=4)
    with pytest.raises(ValueError, match="resume with the same base model and LoRA shape"):
        train_lora(
            llm.model, llm.tokenizer, PAIRS, tmp_path / "run", other_shape,
            base_name=TINY_BASE_NAME, resume=True,
        )  # fmt: skip
