"""Mask stage: LangSAM (GroundingDINO + SAM) and CLIPSeg on tiny models, and the explicit
empty-mask fallback."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.mask import (
    CoverageBounds,
    bound_coverage,
    clipseg_mask,
    detect_boxes,
    fallback_region,
    grounding_text,
    langsam_mask,
    sam_masks,
)
from pipeline.model_set import ModelSet

IMAGE = np.random.default_rng(7).integers(0, 256, (96, 128, 3), dtype=np.uint8)


def test_grounding_text_is_lowercase_with_a_period() -> None:
    assert grounding_text("Water") == "water."
    assert grounding_text("smoke.") == "smoke."
    with pytest.raises(ValueError, match="empty"):
        grounding_text(" . ")


def test_fallback_region_is_the_documented_centre_ellipse() -> None:
    region = fallback_region(200, 300)
    assert region.dtype == np.bool_ and region.shape == (200, 300)
    assert region.mean() == pytest.approx(np.pi * 0.35 * 0.35, abs=0.01)
    assert region[100, 150] and not region[0, 0]


def test_langsam_boxes_then_sam_masks_union(tiny_models: ModelSet) -> None:
    assert tiny_models.grounding_dino is not None and tiny_models.sam is not None
    boxes, scores = detect_boxes(
        tiny_models.grounding_dino, IMAGE, "water", box_threshold=0.0, text_threshold=0.0
    )
    assert boxes and len(boxes) == len(scores)
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 <= 128 and 0 <= x1 <= 128 and 0 <= y0 <= 96 and 0 <= y1 <= 96
    per_box = sam_masks(tiny_models.sam, IMAGE, boxes)
    assert per_box.shape == (len(boxes), 96, 128) and per_box.dtype == np.bool_
    result = langsam_mask(
        tiny_models.grounding_dino,
        tiny_models.sam,
        IMAGE,
        "water",
        box_threshold=0.0,
        text_threshold=0.0,
    )
    assert result.mask.shape == (96, 128) and result.mask.dtype == np.bool_
    union = per_box.any(axis=0) if len(per_box) else np.zeros((96, 128), dtype=bool)
    expected, fallback = bound_coverage(union, CoverageBounds())
    np.testing.assert_array_equal(result.mask, expected)
    assert result.fallback == fallback
    assert result.segmented_coverage == pytest.approx(float(union.mean()))


def test_langsam_with_no_box_uses_the_fallback_and_says_why(tiny_models: ModelSet) -> None:
    assert tiny_models.grounding_dino is not None and tiny_models.sam is not None
    result = langsam_mask(
        tiny_models.grounding_dino, tiny_models.sam, IMAGE, "smoke", box_threshold=1.0
    )
    assert result.boxes == ()
    assert result.fallback == "too-small"
    assert result.fallback_note is not None
    assert "no box above the thresholds" in result.fallback_note
    np.testing.assert_array_equal(result.mask, fallback_region(96, 128))


def test_clipseg_mask_is_bool_at_image_size(tiny_clipseg_models: ModelSet) -> None:
    assert tiny_clipseg_models.clipseg is not None
    result = clipseg_mask(tiny_clipseg_models.clipseg, IMAGE, "water")
    assert result.method == "clipseg"
    assert result.mask.shape == (96, 128) and result.mask.dtype == np.bool_
    assert result.mask.any()
    never = clipseg_mask(tiny_clipseg_models.clipseg, IMAGE, "water", threshold=1.0)
    assert never.fallback == "too-small" and never.segmented_coverage == 0.0
    assert never.fallback_note is not None and "covered 0.0%" in never.fallback_note


def test_coverage_bounds_take_the_documented_fallbacks() -> None:
    bounds = CoverageBounds(minimum=0.02, maximum=0.90)
    ellipse = fallback_region(100, 100)
    speck = np.zeros((100, 100), dtype=bool)
    speck[:1, :100] = True  # 1 %
    mask, fallback = bound_coverage(speck, bounds)
    assert fallback == "too-small"
    np.testing.assert_array_equal(mask, ellipse)
    everything = np.ones((100, 100), dtype=bool)
    everything[:2, :2] = False  # 99.96 %
    mask, fallback = bound_coverage(everything, bounds)
    assert fallback == "too-large"
    np.testing.assert_array_equal(mask, everything & ellipse)
    assert not mask[0].any() and not mask[:, 0].any()  # the frame edges stay still
    band = np.zeros((100, 100), dtype=bool)
    band[60:, :] = True  # 40 %: inside the bounds, kept as found
    mask, fallback = bound_coverage(band, bounds)
    assert fallback is None
    np.testing.assert_array_equal(mask, band)
    for low, high in ((0.5, 0.9), (0.02, 0.3), (0.3, 0.2)):
        with pytest.raises(ValueError, match="fallback ellipse"):
            CoverageBounds(minimum=low, maximum=high)
