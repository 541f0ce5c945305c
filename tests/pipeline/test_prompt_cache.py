"""A warm renderer computes the prompt of a (hazard, seed, model set) once and reuses it."""

from __future__ import annotations

import pytest

from pipeline import prompt
from pipeline.interface import RenderRequest
from pipeline.model_set import ModelSet
from pipeline.renderer import PipelineRenderer
from tests.pipeline.conftest import SWEEP_CONFIG


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = prompt.generate_scene_text

    def counted(*args: object, **kwargs: object) -> str:
        calls.append(str(args[1]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(prompt, "generate_scene_text", counted)
    return calls


@pytest.mark.slow
def test_greedy_prompt_runs_the_llm_once_per_hazard(
    tiny_models: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    renderer = PipelineRenderer(SWEEP_CONFIG.with_changes(candidates=1), tiny_models)
    first = renderer.render(RenderRequest(hazard="flood", seed=1))
    again = renderer.render(RenderRequest(hazard="flood", seed=2))  # greedy: seed-free
    assert len(calls) == 1 and first.prompt == again.prompt
    renderer.render(RenderRequest(hazard="wildfire", seed=1))
    assert len(calls) == 2 and len(renderer.prompts) == 2


def test_sampled_prompts_are_cached_per_seed(
    tiny_models: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cap.taxonomy import load_taxonomy  # noqa: PLC0415

    calls = _counting(monkeypatch)
    renderer = PipelineRenderer(SWEEP_CONFIG.with_changes(prompt_sampling=True), tiny_models)
    flood = load_taxonomy().get("flood")
    one = renderer.prompts.get(tiny_models, flood, 1)
    assert renderer.prompts.get(tiny_models, flood, 1) is one
    renderer.prompts.get(tiny_models, flood, 2)
    assert len(calls) == 2 and renderer.prompts.llm_runs == 2
