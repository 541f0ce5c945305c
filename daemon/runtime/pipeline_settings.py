"""Maps the daemon's `Settings` onto the pipeline's `PipelineConfig`, one per render device.

The daemon has one settings object (``CINEALERT_*``, docs/configuration.md); the
pipeline has its own validated config. Keeping the translation in one small function
means a renamed field breaks here, loudly, instead of silently falling back to a
pipeline default. ``pipeline.config`` is torch-free, so importing it keeps the daemon light.
"""

from __future__ import annotations

from daemon.runtime.settings import Settings, env_name
from pipeline.config import PipelineConfig, PipelineConfigError

# PipelineConfig field -> the Settings field it comes from (for error messages).
_SETTING_OF_FIELD = {
    "profile": "models",
    "image_size": "render_size",
    "candidates": "render_candidates",
    "steps": "render_steps",
    "guidance": "render_guidance",
    "variants": "render_variants",
    "subset_k/variants": "render_variants",
    "seed": "render_seed",
    "mask_method": "render_mask_method",
    "method": "render_method",
    "dtype": "render_dtype",
    "mask_min_coverage/mask_max_coverage": "render_mask_min_coverage",
    "model_sources": "model_sources",
    "model_cache_dir": "model_cache_dir",
    "camera_amplitude": "render_camera_amplitude",
    "flow_model": "render_flow_model",
}


class PipelineSettingsError(ValueError):
    """The daemon settings give a pipeline config the pipeline refuses; names the setting."""

    def __init__(self, setting: str, value: object, problem: str) -> None:
        super().__init__(f"{setting}={value!r}: {problem}")
        self.setting = setting
        self.value = value


def pipeline_config(settings: Settings, device: str) -> PipelineConfig:
    """The pipeline config for one renderer on ``device`` (``cpu``, ``cuda:0``, ...).

    Raises `PipelineSettingsError` naming the ``CINEALERT_*`` variable at fault.
    """
    try:
        return PipelineConfig(
            profile=settings.models,
            device=device,
            dtype=settings.render_dtype,
            mask_method=settings.render_mask_method,
            # One method per daemon: only its models load (and take GPU memory).
            method=settings.render_method,
            t2i_batch_size=settings.render_batch_size,
            inpaint_batch_size=settings.render_batch_size,
            llm_offload=settings.render_llm_offload,
            torch_compile=settings.render_torch_compile,
            mask_min_coverage=settings.render_mask_min_coverage,
            mask_max_coverage=settings.render_mask_max_coverage,
            image_size=settings.render_size,
            candidates=settings.render_candidates,
            steps=settings.render_steps,
            guidance=settings.render_guidance,
            variants=settings.render_variants,
            seed=settings.render_seed,
            model_sources=dict(settings.model_sources),
            model_cache_dir=settings.model_cache_dir,
            camera_amplitude=settings.render_camera_amplitude,
            flow_model=settings.render_flow_model,
        )
    except PipelineConfigError as error:
        field_name = _SETTING_OF_FIELD.get(error.setting)
        setting = env_name(field_name) if field_name else f"pipeline {error.setting}"
        raise PipelineSettingsError(setting, error.value, str(error)) from error
