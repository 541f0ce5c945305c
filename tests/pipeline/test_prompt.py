"""Prompt stage: instruction format, junk stripping, the 77-token fit, the no-humans
instruction, seeded generation with the tiny LLM + LoRA."""

from __future__ import annotations

import pytest

from pipeline import prompt
from pipeline.model_set import ModelSet
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
    )
    assert result.source == "keywords"
    assert result.raw_text == "0 α 0 ..."
    assert result.prompt == f"Heavy snow. {NO_HUMANS_INSTRUCTION}."


def test_lora_adapter_is_active_in_the_tiny_llm(tiny_models: ModelSet) -> None:
    names = [name for name, _ in tiny_models.llm.model.named_parameters() if "lora_" in name]
    assert names, "the tiny profile must run the LLM through a peft LoRA adapter"
    assert tiny_models.lora_applied
