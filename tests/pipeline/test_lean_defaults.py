"""Memory and speed defaults (docs/pipeline.md "Memory and speed"): capped diffusion
batches, sliced VAE decoding, SDPA attention, the few-step solver and its step counts,
torch.compile as a setting, prompts cached before the LLM leaves the GPU."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from diffusers import DPMSolverMultistepScheduler
from diffusers.models.attention_processor import AttnProcessor2_0

from cap.taxonomy import load_taxonomy
from pipeline import prompt, registry
from pipeline.config import PipelineConfig
from pipeline.interface import RenderRequest
from pipeline.model_set import ModelSet
from pipeline.renderer import PipelineRenderer
from tests.pipeline.conftest import SWEEP_CONFIG


class BatchSpy:
    """A diffusers pipeline that records how many images each call asks for."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self.batches: list[int] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.batches.append(int(kwargs["num_images_per_prompt"]))
        return self.pipe(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)


def test_diffusion_batches_are_capped(tiny_models: ModelSet) -> None:
    t2i, inpaint = BatchSpy(tiny_models.t2i), BatchSpy(tiny_models.inpaint)
    models = dataclasses.replace(tiny_models, t2i=t2i, inpaint=inpaint)
    config = SWEEP_CONFIG.with_changes(
        candidates=5, variants=7, t2i_batch_size=2, inpaint_batch_size=3
    )
    PipelineRenderer(config, models).render(RenderRequest("flood", method="masked-sampling"))
    assert t2i.batches == [2, 2, 1]
    assert inpaint.batches == [3, 3, 1]


def test_both_pipelines_use_sdpa_sliced_vae_and_the_few_step_solver(
    tiny_models: ModelSet,
) -> None:
    for pipe in (tiny_models.t2i, tiny_models.inpaint):
        assert pipe is not None
        unet_processors = list(pipe.unet.attn_processors.values())
        assert unet_processors  # the tiny VAE has no attention block; SD's has one
        for processor in [*unet_processors, *pipe.vae.attn_processors.values()]:
            assert isinstance(processor, AttnProcessor2_0)
        assert pipe.vae.use_slicing
        scheduler = pipe.scheduler
        assert isinstance(scheduler, DPMSolverMultistepScheduler)
        assert scheduler.config.algorithm_type == "dpmsolver++"
        assert scheduler.config.solver_order == 2 and scheduler.config.use_karras_sigmas


def test_full_profile_step_counts() -> None:
    full = PipelineConfig(profile="full")
    assert (full.resolved_steps, full.resolved_inpaint_steps) == (20, 15)
    assert full.with_changes(steps=8).resolved_inpaint_steps == 8
    assert (full.t2i_batch_size, full.inpaint_batch_size) == (10, 10)


def test_torch_compile_is_a_setting() -> None:
    config = PipelineConfig(profile="tiny", device="cpu", method="cinemagraph")
    plain = registry.load_models(config)
    assert getattr(plain.t2i.unet, "_compiled_call_impl", None) is None
    compiled = registry.load_models(config.with_changes(torch_compile=True))
    assert compiled is not plain
    # Compiled lazily: nothing runs here (a CPU compile would take minutes).
    assert compiled.t2i.unet._compiled_call_impl is not None


def test_prompts_are_cached_for_every_hazard_before_the_llm_is_offloaded(
    tiny_models: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = PipelineRenderer(SWEEP_CONFIG.with_changes(candidates=1), tiny_models)
    assert renderer.cache_prompts() == len(load_taxonomy().renderable)
    # From now on no render needs the LLM, wherever it lives.
    monkeypatch.setattr(prompt, "generate_scene_text", _no_llm)
    renderer.render(RenderRequest("heavy_snow", seed=5))
    # On a CPU there is nothing to move off.
    assert registry.offload_llm(tiny_models) is False


def _no_llm(*args: object, **kwargs: object) -> str:
    raise AssertionError("the LLM ran although every prompt was cached")
