"""Prompts computed once per (hazard, seed, model set) and reused: the prompt stage is
deterministic for that key (greedy decoding ignores the seed; seeded sampling depends on
it), so a warm pipeline does not run a 7B model again for every render of a hazard."""

from __future__ import annotations

from collections import OrderedDict

from cap.taxonomy import HazardSpec
from pipeline import prompt
from pipeline.config import PipelineConfig
from pipeline.model_set import ModelSet

# Far more than hazards x cache variants; only a stream of distinct sampled seeds reaches it.
MAX_PROMPTS = 512

PromptKey = tuple[object, ...]


class PromptCache:
    """Scene prompts of one renderer's config, least recently used evicted beyond
    ``MAX_PROMPTS``. Not locked: the renderer calls it under its own lock."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self._prompts: OrderedDict[PromptKey, prompt.ScenePrompt] = OrderedDict()
        self.llm_runs = 0  # how many prompts were computed rather than reused

    def key(self, models: ModelSet, hazard: HazardSpec, seed: int) -> PromptKey:
        """What the prompt depends on: hazard, the seed only when sampling, the models."""
        config = self.config
        return (
            hazard.name,
            hazard.keywords,
            seed if config.prompt_sampling and not config.use_prompt_template else None,
            config.use_prompt_template,
            config.resolved_prompt_tokens,
            models.lora_applied,
            tuple(sorted(models.names.items())),
        )

    def get(self, models: ModelSet, hazard: HazardSpec, seed: int) -> prompt.ScenePrompt:
        """The cached prompt, or a new one made (and kept) now."""
        key = self.key(models, hazard, seed)
        cached = self._prompts.get(key)
        if cached is not None:
            self._prompts.move_to_end(key)
            return cached
        config = self.config
        scene = prompt.build_scene_prompt(
            models.llm,
            models.t2i.tokenizer,
            keywords=hazard.keywords,
            template=hazard.prompt_template if config.use_prompt_template else None,
            max_new_tokens=config.resolved_prompt_tokens,
            sample=config.prompt_sampling,
            seed=seed,
            adapter=models.lora_applied,
        )
        self.llm_runs += 0 if config.use_prompt_template else 1
        self._prompts[key] = scene
        while len(self._prompts) > MAX_PROMPTS:
            self._prompts.popitem(last=False)
        return scene

    def __len__(self) -> int:
        return len(self._prompts)
