"""Training pairs to token tensors for causal-LM fine-tuning with the loss on the target
only: the prompt's tokens are labelled -100, so the adapter learns to *write metadata*,
not to echo ``[INST] Flood [/INST]``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

IGNORE_INDEX = -100  # what torch's cross-entropy (and transformers' LM loss) skip


@dataclass(frozen=True)
class Example:
    """One tokenised pair: input ids and labels of equal length."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]


def encode_pair(tokenizer: Any, prompt: str, target: str, max_length: int) -> Example:
    """Prompt (with the tokenizer's own start token) + target + end token; the target is
    cut to fit ``max_length``, never the prompt. Prompt and target are tokenised apart so
    the boundary is exact whatever the tokenizer merges across it."""
    prompt_ids = list(tokenizer(prompt, add_special_tokens=True)["input_ids"])
    target_ids = list(tokenizer(" " + target, add_special_tokens=False)["input_ids"])
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no end-of-sequence token to end targets with")
    room = max_length - len(prompt_ids) - 1
    if room < 1:
        raise ValueError(
            f"max_length {max_length} leaves no room for a target after the "
            f"{len(prompt_ids)}-token prompt {prompt!r}"
        )
    target_ids = [*target_ids[:room], eos]
    # A target token the tokenizer cannot represent teaches only "write <unk>"; real
    # byte-level tokenizers never produce one, word-level ones (the tiny LLM's) do.
    unk = tokenizer.unk_token_id
    target_labels = [IGNORE_INDEX if token == unk else token for token in target_ids]
    return Example(
        input_ids=tuple(prompt_ids + target_ids),
        labels=tuple([IGNORE_INDEX] * len(prompt_ids) + target_labels),
    )


def collate(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded batch: padding is masked from attention and from the loss."""
    width = max(len(example.input_ids) for example in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        length = len(example.input_ids)
        input_ids[row, :length] = torch.tensor(example.input_ids)
        labels[row, :length] = torch.tensor(example.labels)
        attention[row, :length] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention}


def pad_id_of(tokenizer: Any) -> int:
    """The id used for padding (the end token when the tokenizer has no pad token)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise ValueError("the tokenizer has neither a pad nor an end-of-sequence token")
    return int(pad)


def token_loss(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over the batch's target tokens, and how many there were.
    Computed here, not by the model, so the mean is over tokens and can be pooled across
    batches of different sizes for an exact validation loss."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).logits.float()
    shifted_logits = logits[:, :-1].reshape(-1, logits.shape[-1])
    shifted_labels = batch["labels"][:, 1:].reshape(-1)
    count = int((shifted_labels != IGNORE_INDEX).sum())
    loss = torch.nn.functional.cross_entropy(
        shifted_logits, shifted_labels, ignore_index=IGNORE_INDEX, reduction="sum"
    )
    return loss / max(count, 1), count
