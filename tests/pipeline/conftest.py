"""Pipeline fixtures: one tiny model registry and one warm renderer per test session, so
the tiny models are built once however many tests use them."""

from __future__ import annotations

import pytest

from pipeline.config import PipelineConfig
from pipeline.model_set import ModelSet
from pipeline.registry import load_models
from pipeline.renderer import PipelineRenderer

# Reduced render knobs for sweeps (every hazard x both methods): the same code paths as
# the defaults, with fewer candidates, variants and frames so the suite stays fast.
SWEEP_CONFIG = PipelineConfig(
    profile="tiny",
    device="cpu",
    image_size=64,
    candidates=2,
    steps=1,
    variants=5,
    subset_k=3,
    inbetweens=1,
    frames=6,
)


@pytest.fixture(scope="session")
def tiny_config() -> PipelineConfig:
    """The default tiny profile on CPU (128 px, 10 candidates, 20 variants...)."""
    return PipelineConfig(profile="tiny", device="cpu")


@pytest.fixture(scope="session")
def tiny_models(tiny_config: PipelineConfig) -> ModelSet:
    """Every tiny model (LangSAM masks), built once per session by the registry."""
    return load_models(tiny_config)


@pytest.fixture(scope="session")
def tiny_clipseg_models() -> ModelSet:
    """The tiny model set with CLIPSeg as mask method."""
    return load_models(PipelineConfig(profile="tiny", device="cpu", mask_method="clipseg"))


@pytest.fixture(scope="session")
def sweep_renderer(tiny_models: ModelSet) -> PipelineRenderer:
    """A renderer on the shared tiny models with the reduced sweep knobs."""
    return PipelineRenderer(SWEEP_CONFIG, tiny_models)
