"""Depth stage: normalised float32 maps at the image's size."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.depth import estimate_depth, normalise_depth
from pipeline.model_set import ModelSet


def test_tiny_depth_is_float32_in_unit_range_at_image_size(tiny_models: ModelSet) -> None:
    image = np.random.default_rng(0).integers(0, 256, (72, 96, 3), dtype=np.uint8)
    depth = estimate_depth(tiny_models.depth, image)
    assert depth.shape == (72, 96)
    assert depth.dtype == np.float32
    assert depth.min() == pytest.approx(0.0)
    assert depth.max() == pytest.approx(1.0)


def test_normalise_depth_is_min_max_and_constant_is_flat() -> None:
    np.testing.assert_allclose(
        normalise_depth(np.array([[2.0, 4.0], [3.0, 6.0]])), [[0, 0.5], [0.25, 1]]
    )
    flat = normalise_depth(np.full((3, 3), 7.0))
    assert np.all(flat == 0.5)
    with pytest.raises(ValueError, match="non-finite"):
        normalise_depth(np.array([[np.nan, 1.0]]))


def test_depth_refuses_non_rgb_input(tiny_models: ModelSet) -> None:
    with pytest.raises(ValueError, match="uint8"):
        estimate_depth(tiny_models.depth, np.zeros((8, 8), dtype=np.uint8))
