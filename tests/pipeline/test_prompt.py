"""Prompt stage: instruction format, junk stripping, the 77-token fit, the no-humans
instruction, seeded generation with the tiny LLM + LoRA."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline import metadata_prompt, prompt
from pipeline.model_set import ModelSet, TextModel
from pipeline.prompt import (
    NEGATIVE_PROMPT,
    NO_HUMANS_INSTRUCTION,
    build_scene_prompt,
    clean_scene_text,
    count_tokens,
    fit_prompt,
    instruction,
)


def test_instruction_uses_the_fine_tuned_chat_format() -> None:
    assert instruction("Flood") == "[INST] Flood [/INST]"
    with pytest.raises(ValueError, match="empty"):
        instruction("  ")


def test_junk_tail_tokens_and_echoed_tags_are_stripped() -> None:
    assert clean_scene_text("a flooded street at dusk 0 α") == "a flooded street at dusk"
    assert clean_scene_text("[/INST] dark river, rain ... | 1") == "dark river, rain"
    assert clean_scene_text("0 α ## ...") == ""


def test_fit_keeps_the_instruction_and_the_tokenizer_limit(tiny_models: ModelSet) -> None:
    tokenizer = tiny_models.t2i.tokenizer
    long_scene = " ".join(["swirling muddy water over the broken road"] * 30)
    fitted, tokens = fit_prompt(long_scene, tokenizer)
    assert fitted.endswith(f"{NO_HUMANS_INSTRUCTION}.")
    assert tokens == count_tokens(tokenizer, fitted)
    assert tokens <= tokenizer.model_max_length
    # One more word would not have fitted: the prompt uses the limit, not less.
    kept_words = len(fitted.split(". ")[0].split())
    longer = " ".join(long_scene.split()[: kept_words + 1])
    assert count_tokens(tokenizer, f"{longer}. {NO_HUMANS_INSTRUCTION}.") > tokens or (
        kept_words == len(long_scene.split())
    )


def test_short_scene_is_kept_whole(tiny_models: ModelSet) -> None:
    fitted, _ = fit_prompt("calm flood water", tiny_models.t2i.tokenizer)
    assert fitted == f"calm flood water. {NO_HUMANS_INSTRUCTION}."


def test_llm_prompt_is_deterministic_greedy_and_seeded_sampling(tiny_models: ModelSet) -> None:
    tokenizer = tiny_models.t2i.tokenizer

    def make(sample: bool, seed: int) -> prompt.ScenePrompt:
        return build_scene_prompt(
            tiny_models.llm,
            tokenizer,
            keywords="Flood",
            template=None,
            max_new_tokens=24,
            sample=sample,
            seed=seed,
            adapter=True,
        )

    greedy = make(False, 0)
    assert greedy == make(False, 5)  # greedy ignores the seed
    assert greedy.source in ("llm", "keywords")
    assert greedy.negative_prompt == NEGATIVE_PROMPT
    assert greedy.prompt.endswith(f"{NO_HUMANS_INSTRUCTION}.")
    assert greedy.token_count <= tokenizer.model_max_length
    sampled = make(True, 11)
    assert sampled == make(True, 11)
    assert {make(True, seed).raw_text for seed in range(4)} != {sampled.raw_text}


def test_template_is_used_only_when_given(tiny_models: ModelSet) -> None:
    result = build_scene_prompt(
        tiny_models.llm,
        tiny_models.t2i.tokenizer,
        keywords="Flood",
        template="A flooded town under a grey sky",
        max_new_tokens=8,
        sample=False,
        seed=0,
        adapter=True,
    )
    assert result.source == "template"
    assert result.prompt == f"A flooded town under a grey sky. {NO_HUMANS_INSTRUCTION}."
    # The alt text describes the scene; the instruction is for the image model only.
    assert result.scene == "A flooded town under a grey sky"


def test_all_junk_llm_output_falls_back_to_keywords_and_says_so(
    tiny_models: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompt, "generate_scene_text", lambda *args, **kwargs: "0 α 0 ...")
    result = build_scene_prompt(
        tiny_models.llm,
        tiny_models.t2i.tokenizer,
        keywords="Heavy snow",
        template=None,
        max_new_tokens=8,
        sample=False,
        seed=0,
        adapter=True,
    )
    assert result.source == "keywords"
    assert result.raw_text == "0 α 0 ..."
    assert result.prompt == f"Heavy snow. {NO_HUMANS_INSTRUCTION}."


def test_lora_adapter_is_active_in_the_tiny_llm(tiny_models: ModelSet) -> None:
    names = [name for name, _ in tiny_models.llm.model.named_parameters() if "lora_" in name]
    assert names, "the tiny profile must run the LLM through a peft LoRA adapter"
    assert tiny_models.lora_applied


def test_numbers_and_non_latin_words_inside_the_text_are_kept() -> None:
    assert clean_scene_text("a river that in 2023 hit 3 km wide") == (
        "a river that in 2023 hit 3 km wide"
    )
    assert clean_scene_text("홍수 flooded streets of 서울 at night 0") == (
        "홍수 flooded streets of 서울 at night"
    )
    assert clean_scene_text("Metadata: The image captures a dam, 12 gates open α 0") == (
        "The image captures a dam, 12 gates open"
    )


def test_template_style_slot_is_filled_never_leaked(tiny_models: ModelSet) -> None:
    from cap.taxonomy import load_taxonomy  # noqa: PLC0415

    for name in load_taxonomy().renderable:
        template = load_taxonomy().get(name).prompt_template
        result = build_scene_prompt(
            tiny_models.llm,
            tiny_models.t2i.tokenizer,
            keywords=name,
            template=template,
            max_new_tokens=8,
            sample=False,
            seed=0,
            adapter=True,
        )
        assert "{" not in result.prompt and "style" not in result.prompt, result.prompt
    with pytest.raises(ValueError, match="placeholder"):
        build_scene_prompt(
            tiny_models.llm,
            tiny_models.t2i.tokenizer,
            keywords="Flood",
            template="a flood, {mood}",
            max_new_tokens=8,
            sample=False,
            seed=0,
            adapter=True,
        )


class _RecordingTokenizer:
    """The tiny LLM tokenizer, recording every text it is asked to encode."""

    def __init__(self, tokenizer: Any) -> None:
        self.inner = tokenizer
        self.seen: list[str] = []

    def __call__(self, text: str, **options: Any) -> Any:
        self.seen.append(text)
        return self.inner(text, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_without_an_adapter_the_llm_gets_the_few_shot_metadata_template(
    tiny_models: ModelSet,
) -> None:
    text = instruction("Flood", adapter=False)
    assert text.startswith("[INST] ") and "[/INST] The image captures" in text
    assert text.count("The mood of the image is") == len(metadata_prompt.FEW_SHOT_EXAMPLES)
    assert "Disaster: Flood\nMetadata:" in text
    recorder = _RecordingTokenizer(tiny_models.llm.tokenizer)
    llm = TextModel(model=tiny_models.llm.model, tokenizer=recorder)
    common: dict[str, Any] = {"keywords": "Flood", "template": None, "max_new_tokens": 4}
    plain = build_scene_prompt(
        llm, tiny_models.t2i.tokenizer, sample=False, seed=0, adapter=False, **common
    )
    adapted = build_scene_prompt(
        llm, tiny_models.t2i.tokenizer, sample=False, seed=0, adapter=True, **common
    )
    without, with_adapter = recorder.seen
    assert "The mood of the image is" in without and "Disaster" in without
    assert "Disaster" not in with_adapter and "Flood" in with_adapter
    assert with_adapter == "[INST] Flood [/INST]"
    assert plain.raw_text.startswith("The image captures")
    assert not adapted.raw_text.startswith("The image captures")
