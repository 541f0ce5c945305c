"""The mask stage: the segmenter a method uses (docs/pipeline.md, "Which segmenter for
which animation"), its coverage bounded. Shared by the renderer and `animate_photo`."""

from __future__ import annotations

import numpy as np

from pipeline import mask
from pipeline.config import SEGMENTER_ROLES, PipelineConfig
from pipeline.interface import RenderError
from pipeline.model_set import ModelSet

GIVEN_METHOD = "given"


def segment(
    models: ModelSet, image: np.ndarray, text: str, config: PipelineConfig, method: str
) -> mask.SegmentationResult:
    """Segment ``text`` in ``image`` with the segmenter ``config`` picks for ``method``."""
    bounds = mask.CoverageBounds(config.mask_min_coverage, config.mask_max_coverage)
    if config.mask_method_for(method) == "clipseg":
        if models.clipseg is None:
            raise RenderError("mask_failed", "mask method clipseg but no CLIPSeg model loaded")
        return mask.clipseg_mask(models.clipseg, image, text, bounds=bounds)
    if models.grounding_dino is None or models.sam is None:
        raise RenderError("mask_failed", "mask method langsam but GroundingDINO/SAM not loaded")
    return mask.langsam_mask(
        models.grounding_dino,
        models.sam,
        image,
        text,
        box_threshold=config.box_threshold,
        text_threshold=config.text_threshold,
        bounds=bounds,
    )


def segmenter_roles(config: PipelineConfig, method: str) -> list[str]:
    """The model roles that segment for ``method``."""
    return list(SEGMENTER_ROLES[config.mask_method_for(method)])


def given_mask_record(moving: np.ndarray) -> dict[str, object]:
    """The record's mask facts for a mask an operator or user supplied: used as it is
    (no coverage fallback: it was drawn on purpose)."""
    coverage = round(float(moving.mean()), 4)
    return {
        "method": GIVEN_METHOD,
        "coverage": coverage,
        "segmented_coverage": coverage,
        "fallback": None,
    }
