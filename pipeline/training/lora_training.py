"""LoRA fine-tuning of the metadata generator with peft: a plain, readable training loop
(AdamW on the adapter's parameters only), validation loss per epoch, checkpoints that a
later run resumes from, and a standard adapter directory plus a JSON training report.

Paper-like defaults: the second paper fine-tunes LLaMA-2 with LoRA but does not list its
hyper-parameters; the defaults are the common LLaMA-2 LoRA recipe (rank 8, alpha 16,
dropout 0.05 on the attention query/value projections, learning rate 2e-4, 3 epochs)."""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
from safetensors.torch import load_file

from pipeline.training.lora_data import Example, collate, encode_pair, pad_id_of, token_loss
from pipeline.training.pairs import TrainingPair

REPORT_FILE = "training_report.json"
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class LoraSettings:
    """Every knob of one training run; validated at construction."""

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 2e-4
    epochs: int = 3
    batch_size: int = 4
    max_length: int = 256
    seed: int = 0
    max_steps: int | None = None  # stop early (smoke runs, CPU experiments)
    checkpoint_steps: int = 0  # 0 = a checkpoint at the end of each epoch only

    def __post_init__(self) -> None:
        checks = {
            "rank": self.rank >= 1,
            "alpha": self.alpha >= 1,
            "dropout": 0.0 <= self.dropout < 1.0,
            "target_modules": bool(self.target_modules),
            "learning_rate": self.learning_rate > 0,
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "max_length": self.max_length >= 8,
            "max_steps": self.max_steps is None or self.max_steps >= 1,
            "checkpoint_steps": self.checkpoint_steps >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            values = {name: getattr(self, name) for name in bad}
            raise ValueError(f"invalid LoRA training settings: {values}")


@dataclass
class TrainingState:
    """Where a run stands; saved in every checkpoint."""

    epoch: int = 0  # the epoch in progress (0-based)
    step_in_epoch: int = 0  # batches of that epoch already done
    global_step: int = 0
    train_loss: list[float] = field(default_factory=list)  # mean per finished epoch
    validation_loss: list[float] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)  # the epoch in progress


Progress = Callable[[str, TrainingState, int], None]  # (event, state, total steps)


def lora_config(settings: LoraSettings) -> LoraConfig:
    """The peft configuration of the adapter to train."""
    return LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        task_type="CAUSAL_LM",
    )


def _order(count: int, seed: int, epoch: int) -> list[int]:
    # The shuffle depends only on seed and epoch, so a resumed run sees the same batches.
    indices = list(range(count))
    random.Random(seed * 100_003 + epoch).shuffle(indices)
    return indices


def validation_loss(model: Any, examples: Sequence[Example], pad_id: int, batch: int) -> float:
    """Token-weighted mean loss over the validation examples (NaN when there are none)."""
    if not examples:
        return math.nan
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(examples), batch):
            data = collate(examples[start : start + batch], pad_id)
            loss, count = token_loss(model, {k: v.to(device) for k, v in data.items()})
            total += float(loss) * count
            tokens += count
    model.train(was_training)
    return total / max(tokens, 1)


def _latest_checkpoint(out: Path) -> Path | None:
    folder = out / CHECKPOINTS
    steps = sorted(folder.glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
    return steps[-1] if steps else None


def _save_checkpoint(model: Any, optimizer: Any, state: TrainingState, out: Path) -> Path:
    target = out / CHECKPOINTS / f"step-{state.global_step}"
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(str(staging), save_embedding_layers=False)
    torch.save(optimizer.state_dict(), staging / "optimizer.pt")
    (staging / "state.json").write_text(json.dumps(asdict(state)), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # a checkpoint is either whole or absent
    return target


def _check_resumable(checkpoint: Path, settings: LoraSettings, base_name: str) -> None:
    """A checkpoint continues only the run that wrote it: same base, same LoRA shape."""
    saved = json.loads((checkpoint / "adapter_config.json").read_text(encoding="utf-8"))
    theirs = (saved.get("base_model_name_or_path"), saved.get("r"), sorted(saved["target_modules"]))
    ours = (base_name, settings.rank, sorted(settings.target_modules))
    if theirs != ours:
        raise ValueError(
            f"{checkpoint} was written for base, rank, modules {theirs}, this run is {ours}; "
            "resume with the same base model and LoRA shape, or train into a new folder"
        )


def _resume(model: Any, optimizer: Any, checkpoint: Path) -> TrainingState:
    weights = load_file(str(checkpoint / "adapter_model.safetensors"))
    set_peft_model_state_dict(model, weights)
    optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    return TrainingState(**json.loads((checkpoint / "state.json").read_text(encoding="utf-8")))


def train_lora(
    base: Any,
    tokenizer: Any,
    pairs: Sequence[TrainingPair],
    out: Path,
    settings: LoraSettings,
    *,
    base_name: str,
    resume: bool = False,
    on_progress: Progress | None = None,
) -> tuple[dict[str, Any], Any]:
    """Train a LoRA adapter on the ``train`` pairs, report loss on ``validation`` ones,
    write the adapter to ``out``; return the training report (also written there) and
    the trained peft model, in eval mode."""
    train = [
        encode_pair(tokenizer, p.prompt, p.target, settings.max_length)
        for p in pairs
        if p.split == "train"
    ]
    valid = [
        encode_pair(tokenizer, p.prompt, p.target, settings.max_length)
        for p in pairs
        if p.split == "validation"
    ]
    if not train:
        raise ValueError("no training pairs in the train split")
    pad_id = pad_id_of(tokenizer)
    checkpoint = _latest_checkpoint(out)
    if checkpoint is not None and not resume:
        raise ValueError(
            f"{out} already holds checkpoints of a run ({checkpoint.name}); "
            "pass resume to continue it, or train into a new folder"
        )
    if checkpoint is not None:
        _check_resumable(checkpoint, settings, base_name)
    torch.manual_seed(settings.seed)
    model: Any = get_peft_model(base, lora_config(settings))
    model.peft_config["default"].base_model_name_or_path = base_name
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate
    )
    state = _resume(model, optimizer, checkpoint) if checkpoint else TrainingState()
    per_epoch = math.ceil(len(train) / settings.batch_size)
    total = per_epoch * settings.epochs
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    if on_progress:
        on_progress("resumed" if checkpoint else "start", state, total)
    model.train()
    started = time.perf_counter()
    while state.epoch < settings.epochs and state.global_step < total:
        order = _order(len(train), settings.seed, state.epoch)
        for index in range(state.step_in_epoch, per_epoch):
            if state.global_step >= total:
                break
            chosen = [train[i] for i in order[index * settings.batch_size :][: settings.batch_size]]
            batch = {k: v.to(device) for k, v in collate(chosen, pad_id).items()}
            tick = time.perf_counter()
            loss, _ = token_loss(model, batch)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            state.step_seconds.append(time.perf_counter() - tick)
            state.epoch_losses.append(loss.item())
            state.global_step += 1
            state.step_in_epoch = index + 1
            if on_progress:
                on_progress("step", state, total)
            if settings.checkpoint_steps and state.global_step % settings.checkpoint_steps == 0:
                _save_checkpoint(model, optimizer, state, out)
        if state.step_in_epoch >= per_epoch or state.global_step >= total:
            state.train_loss.append(sum(state.epoch_losses) / max(len(state.epoch_losses), 1))
            state.validation_loss.append(validation_loss(model, valid, pad_id, settings.batch_size))
            state.epoch, state.step_in_epoch, state.epoch_losses = state.epoch + 1, 0, []
            _save_checkpoint(model, optimizer, state, out)
            if on_progress:
                on_progress("epoch", state, total)
    # Embeddings are not trained; saying so stops peft looking the base up on the hub.
    model.save_pretrained(str(out), save_embedding_layers=False)
    report = {
        "base_model": base_name,
        "settings": {**asdict(settings), "target_modules": list(settings.target_modules)},
        "device": str(device),
        "pairs": {"train": len(train), "validation": len(valid)},
        "steps": state.global_step,
        "epochs_done": state.epoch,
        "train_loss_per_epoch": state.train_loss,
        # JSON has no NaN: an epoch without validation pairs reports null.
        "validation_loss_per_epoch": [None if math.isnan(v) else v for v in state.validation_loss],
        "seconds_per_step_median": sorted(state.step_seconds)[len(state.step_seconds) // 2]
        if state.step_seconds
        else None,
        "seconds_this_run": time.perf_counter() - started,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report, model.eval()
