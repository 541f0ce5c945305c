"""A render whose segmenter finds nothing takes the documented fallback and says so in
the result's ``mask`` (which the daemon's record carries), not only in debug details."""

from __future__ import annotations

import pytest

from pipeline.config import PipelineConfig, PipelineConfigError
from pipeline.interface import METHODS, RenderRequest
from pipeline.mask import FALLBACK_COVERAGE
from pipeline.model_set import ModelSet
from pipeline.renderer import PipelineRenderer
from tests.pipeline.conftest import SWEEP_CONFIG


@pytest.mark.parametrize("method", METHODS)
def test_nothing_found_animates_the_fallback_and_the_result_says_so(
    tiny_models: ModelSet, method: str
) -> None:
    # LangSAM for both methods, and no box can pass its threshold.
    config = SWEEP_CONFIG.with_changes(candidates=1, box_threshold=1.0, mask_method="langsam")
    result = PipelineRenderer(config, tiny_models).render(RenderRequest("storm", method=method))
    assert result.mask is not None
    assert result.mask["method"] == "langsam"
    assert result.mask["fallback"] == "too-small"
    assert result.mask["segmented_coverage"] == 0.0
    assert result.mask["coverage"] == pytest.approx(FALLBACK_COVERAGE, abs=0.03)


def test_coverage_bounds_are_validated_as_settings() -> None:
    with pytest.raises(PipelineConfigError, match="mask_min_coverage"):
        PipelineConfig(mask_min_coverage=0.5)
    with pytest.raises(PipelineConfigError, match="mask_max_coverage"):
        PipelineConfig(mask_max_coverage=0.2)
