"""Prompt stage: the metadata generator. A causal LM writes a scene description — prompted
``[INST] {keywords} [/INST]`` with the paper's LoRA adapter, or with a few-shot instruction
in the paper's metadata template without one (`pipeline.metadata_prompt`); post-processing
removes the junk tail tokens the paper saw ("0", "α"), fits the text-to-image tokenizer's
limit and appends the no-humans instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import torch

from pipeline.metadata_prompt import (
    ANSWER_PREFIX,
    adapter_instruction,
    few_shot_instruction,
    fill_template,
)
from pipeline.model_set import TextModel

NO_HUMANS_INSTRUCTION = "Do not include any humans"
NEGATIVE_PROMPT = (
    "humans, people, person, face, crowd, text, letters, watermark, logo, blurry, low quality"
)

# Junk is what the paper saw the model append ("0", "α"): at the end of the text, lone
# numbers and stray single characters (other than real one-letter words) are dropped, as
# is any token without a letter or digit of any script. Numbers and non-Latin words inside
# the text belong to it ("in 2023 the river rose 3 m", "서울") and are kept.
_ONE_LETTER_WORDS = frozenset({"a", "A", "I"})
_INSTRUCTION_TAGS = re.compile(r"\[/?INST\]")
_METADATA_LABEL = re.compile(r"^\s*Metadata:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ScenePrompt:
    """The text-to-image prompt and how it was made.

    ``source`` is ``llm``, ``template`` (per-hazard template configured), or
    ``keywords`` (the LLM produced nothing usable after cleaning; the keywords stand in
    and the result says so rather than hiding it).
    """

    prompt: str
    negative_prompt: str
    raw_text: str
    source: str
    token_count: int

    @property
    def scene(self) -> str:
        """The fitted scene description without the no-humans instruction: what a person
        reading the alt text should hear (the instruction is meant for the image model)."""
        suffix = f"{NO_HUMANS_INSTRUCTION}."
        head = self.prompt.removesuffix(suffix).rstrip()
        return head.removesuffix(".")


def instruction(keywords: str, *, adapter: bool = True) -> str:
    """The LLM's input: the fine-tuned chat form ``[INST] Flood [/INST]`` with the adapter,
    else the few-shot metadata instruction (its answer primed with ``ANSWER_PREFIX``)."""
    return adapter_instruction(keywords) if adapter else few_shot_instruction(keywords)


def generate_scene_text(
    llm: TextModel,
    keywords: str,
    *,
    max_new_tokens: int,
    sample: bool,
    seed: int,
    adapter: bool = True,
) -> str:
    """Run the metadata LLM once; greedy by default, seeded nucleus sampling when asked.
    Without the adapter the primed answer start is part of the returned text."""
    tokenizer: Any = llm.tokenizer
    model: Any = llm.model
    device = next(model.parameters()).device
    inputs = tokenizer(instruction(keywords, adapter=adapter), return_tensors="pt").to(device)
    options: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "do_sample": sample,
        "pad_token_id": tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else tokenizer.eos_token_id,
    }
    if sample:
        options.update(top_p=0.9, temperature=0.8)
    fork_devices = [device] if device.type == "cuda" else []
    # Sampling draws from torch's global RNG; fork it so a seed gives the same text
    # without disturbing anyone else's random state.
    with torch.random.fork_rng(devices=fork_devices), torch.inference_mode():
        torch.manual_seed(seed)
        output = model.generate(**inputs, **options)
    new_tokens = output[0, inputs["input_ids"].shape[1] :]
    text: str = tokenizer.decode(new_tokens, skip_special_tokens=True)
    return text if adapter else f"{ANSWER_PREFIX} {text.strip()}"


def _is_tail_junk(word: str) -> bool:
    core = word.strip(".,;:!?-")
    if not core:
        return True
    return core.isdigit() or (len(core) == 1 and core not in _ONE_LETTER_WORDS)


def clean_scene_text(text: str) -> str:
    """Drop echoed instruction tags, a leading "Metadata:" label, tokens without any letter
    or digit, and the junk tail (lone numbers, stray single characters); the words that
    remain are joined by single spaces."""
    text = _METADATA_LABEL.sub("", _INSTRUCTION_TAGS.sub(" ", text))
    kept = [word for word in text.split() if any(char.isalnum() for char in word)]
    while kept and _is_tail_junk(kept[-1]):
        kept.pop()
    return " ".join(kept).strip(" ,;:-.")


def count_tokens(tokenizer: Any, text: str) -> int:
    """Tokens the text-to-image tokenizer makes of ``text``, start/end tokens included.
    (``verbose=False``: over-long texts are expected here, that is what is being measured.)"""
    return len(tokenizer(text, truncation=False, verbose=False)["input_ids"])


def fit_prompt(scene: str, tokenizer: Any) -> tuple[str, int]:
    """``"{scene}. Do not include any humans."`` trimmed word by word from the scene's end
    until the whole fits ``tokenizer.model_max_length``: the instruction is never cut."""
    limit = int(tokenizer.model_max_length)
    suffix = f"{NO_HUMANS_INSTRUCTION}."
    words = scene.split()

    def compose(count: int) -> str:
        head = " ".join(words[:count]).rstrip(" ,;:-.")
        return f"{head}. {suffix}" if head else suffix

    if count_tokens(tokenizer, suffix) > limit:
        raise ValueError(f"tokenizer limit {limit} cannot hold the instruction {suffix!r}")
    # Binary search for the longest prefix of words that fits.
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(tokenizer, compose(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    prompt = compose(low)
    return prompt, count_tokens(tokenizer, prompt)


def build_scene_prompt(
    llm: TextModel,
    t2i_tokenizer: Any,
    *,
    keywords: str,
    template: str | None,
    max_new_tokens: int,
    sample: bool,
    seed: int,
    adapter: bool,
) -> ScenePrompt:
    """The whole prompt stage: template (only when one is given, its ``{style}`` filled) or
    LLM (``adapter``: whether a LoRA adapter is loaded), then cleaning, the no-humans
    instruction, fitting, and the negative prompt."""
    if template is not None:
        raw, source = fill_template(template), "template"
        scene = clean_scene_text(raw)
    else:
        raw = generate_scene_text(
            llm,
            keywords,
            max_new_tokens=max_new_tokens,
            sample=sample,
            seed=seed,
            adapter=adapter,
        )
        scene, source = clean_scene_text(raw), "llm"
        if not scene or scene == ANSWER_PREFIX:
            scene, source = clean_scene_text(keywords), "keywords"
    prompt, tokens = fit_prompt(scene, t2i_tokenizer)
    return ScenePrompt(
        prompt=prompt,
        negative_prompt=NEGATIVE_PROMPT,
        raw_text=raw,
        source=source,
        token_count=tokens,
    )
