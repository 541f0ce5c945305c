"""The Settings -> PipelineConfig mapping the daemon's renderer factory relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.runtime.pipeline_settings import PipelineSettingsError, pipeline_config
from daemon.runtime.settings import Settings
from daemon.service.renderer_factory import RendererFactoryError, build_renderers


def test_every_render_setting_reaches_the_pipeline_config() -> None:
    settings = Settings(
        models="full",
        render_size=256,
        render_candidates=12,
        render_steps=7,
        render_guidance=5.0,
        render_variants=21,
        render_seed=42,
        render_mask_method="clipseg",
        render_mask_min_coverage=0.05,
        render_mask_max_coverage=0.8,
        render_method="masked-sampling",
        render_batch_size=4,
        render_llm_offload=False,
        render_torch_compile=True,
        render_dtype="bfloat16",
        model_sources={"t2i": "/models/sd15"},
        model_cache_dir=Path("/models/hf/hub"),
    )
    config = pipeline_config(settings, "cuda:1")
    assert config.profile == "full"
    assert config.device == "cuda:1"
    assert config.image_size == 256
    assert config.candidates == 12
    assert config.steps == 7
    assert config.guidance == 5.0
    assert config.variants == 21
    assert config.seed == 42
    assert config.mask_method == "clipseg"
    assert (config.mask_min_coverage, config.mask_max_coverage) == (0.05, 0.8)
    assert config.method == "masked-sampling"
    assert (config.t2i_batch_size, config.inpaint_batch_size) == (4, 4)
    assert not config.llm_offload and config.torch_compile
    assert config.roles_needed() == ("llm", "t2i", "inpaint", "clip", "clipseg", "vit")
    assert config.dtype == "bfloat16"
    assert dict(config.model_sources) == {"t2i": "/models/sd15"}
    assert config.model_cache_dir == Path("/models/hf/hub")


def test_defaults_leave_profile_defaults_to_the_pipeline() -> None:
    config = pipeline_config(Settings(), "cpu")
    assert config.profile == "tiny"
    assert config.resolved_image_size == 128
    assert config.resolved_steps == 4
    assert config.model_cache_dir is None


def test_a_value_the_pipeline_refuses_names_the_daemon_setting() -> None:
    with pytest.raises(PipelineSettingsError) as caught:
        pipeline_config(Settings(render_variants=3), "cpu")
    assert caught.value.setting == "CINEALERT_RENDER_VARIANTS"
    assert "CINEALERT_RENDER_VARIANTS" in str(caught.value)


def test_factory_reports_refused_pipeline_settings_as_factory_error() -> None:
    with pytest.raises(RendererFactoryError, match="CINEALERT_RENDER_VARIANTS"):
        build_renderers(Settings(render_variants=3, render_workers="cpu"))


def test_an_unknown_mask_method_names_its_setting() -> None:
    with pytest.raises(PipelineSettingsError) as caught:
        pipeline_config(Settings(render_mask_method="sam3"), "cpu")
    assert caught.value.setting == "CINEALERT_RENDER_MASK_METHOD"
    assert caught.value.value == "sam3"
