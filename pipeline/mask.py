"""Mask stage: which pixels move. LangSAM's method rebuilt on transformers — GroundingDINO
boxes for the hazard's moving-element text (box threshold 0.3, text threshold 0.25), one
SAM mask per box, union — and CLIPSeg as the lighter alternative.

Coverage is bounded (`CoverageBounds`, default 2 %–90 % of the image): a mask below the
minimum (nothing found, or a speck nobody would see move) is replaced by the centred
ellipse of `fallback_region`; a mask above the maximum (the segmenter took the whole
picture, which would regenerate or drag the whole frame) is cut to that ellipse, so the
frame edges stay still. The result says which in ``fallback`` (``too-small`` or
``too-large``) and keeps the segmenter's own coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.config import MASK_FALLBACK_COVERAGE, MASK_FALLBACK_SEMI_AXES
from pipeline.model_set import ProcessedModel

# Semi-axes of the fallback ellipse as fractions of width and height: ~38 % of the image,
# enough motion to read as an animation without moving the frame edges.
FALLBACK_SEMI_AXES = MASK_FALLBACK_SEMI_AXES
FALLBACK_COVERAGE = MASK_FALLBACK_COVERAGE  # ~0.385
CLIPSEG_THRESHOLD = 0.4


@dataclass(frozen=True)
class CoverageBounds:
    """Least and most share of the image a mask may cover before the fallback is taken.
    The fallback ellipse itself must lie inside the bounds, or the fallback would not fix
    what it falls back from."""

    minimum: float = 0.02
    maximum: float = 0.90

    def __post_init__(self) -> None:
        if not 0.0 <= self.minimum < FALLBACK_COVERAGE < self.maximum <= 1.0:
            raise ValueError(
                f"mask coverage bounds ({self.minimum!r}, {self.maximum!r}) must satisfy "
                f"0 <= minimum < {FALLBACK_COVERAGE:.3f} (the fallback ellipse) < maximum <= 1"
            )


@dataclass(frozen=True)
class SegmentationResult:
    """A bool (H, W) mask and how it was found.

    ``fallback`` is None when the segmenter's mask was within the coverage bounds, else
    ``too-small`` or ``too-large``; ``fallback_note`` says why in words and
    ``segmented_coverage`` is the segmenter's own coverage before any fallback."""

    mask: np.ndarray
    method: str
    text: str
    boxes: tuple[tuple[float, float, float, float], ...]
    box_scores: tuple[float, ...]
    fallback: str | None
    segmented_coverage: float = 0.0
    fallback_note: str | None = None

    @property
    def coverage(self) -> float:
        """Share of pixels inside the mask."""
        return float(self.mask.mean())

    def record(self) -> dict[str, object]:
        """The mask facts an output record carries."""
        return {
            "method": self.method,
            "coverage": round(self.coverage, 4),
            "segmented_coverage": round(self.segmented_coverage, 4),
            "fallback": self.fallback,
        }


def fallback_region(height: int, width: int) -> np.ndarray:
    """The region animated when the segmenter finds nothing: a centred ellipse."""
    rows = (np.arange(height) + 0.5 - height / 2) / (FALLBACK_SEMI_AXES[1] * height)
    cols = (np.arange(width) + 0.5 - width / 2) / (FALLBACK_SEMI_AXES[0] * width)
    inside: np.ndarray = rows[:, None] ** 2 + cols[None, :] ** 2 <= 1.0
    return inside


def grounding_text(text: str) -> str:
    """GroundingDINO expects lower-case phrases each ending with a period."""
    phrase = text.strip().lower().rstrip(".")
    if not phrase:
        raise ValueError(f"segment text must not be empty, got {text!r}")
    return phrase + "."


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")


def detect_boxes(
    grounding_dino: ProcessedModel,
    image: np.ndarray,
    text: str,
    *,
    box_threshold: float,
    text_threshold: float,
) -> tuple[list[tuple[float, float, float, float]], list[float]]:
    """GroundingDINO boxes (x0, y0, x1, y1 in pixels, clipped to the image) and scores."""
    _check_image(image)
    model: Any = grounding_dino.model
    processor: Any = grounding_dino.processor
    parameter = next(model.parameters())
    inputs = processor(
        images=Image.fromarray(image), text=grounding_text(text), return_tensors="pt"
    )
    inputs = {
        key: value.to(parameter.device, parameter.dtype)
        if value.is_floating_point()
        else value.to(parameter.device)
        for key, value in inputs.items()
    }
    with torch.inference_mode():
        outputs = model(**inputs)
    height, width = image.shape[:2]
    result = processor.post_process_grounded_object_detection(
        outputs,
        inputs["input_ids"],
        threshold=box_threshold,
        text_threshold=text_threshold,
        target_sizes=[(height, width)],
    )[0]
    boxes: list[tuple[float, float, float, float]] = []
    for x0, y0, x1, y1 in result["boxes"].float().cpu().tolist():
        boxes.append(
            (
                min(max(x0, 0.0), width),
                min(max(y0, 0.0), height),
                min(max(x1, 0.0), width),
                min(max(y1, 0.0), height),
            )
        )
    return boxes, [float(score) for score in result["scores"].float().cpu().tolist()]


def sam_masks(
    sam: ProcessedModel, image: np.ndarray, boxes: list[tuple[float, float, float, float]]
) -> np.ndarray:
    """One SAM mask per box (single-mask output, as LangSAM), bool (n, H, W)."""
    _check_image(image)
    height, width = image.shape[:2]
    if not boxes:
        return np.zeros((0, height, width), dtype=bool)
    model: Any = sam.model
    processor: Any = sam.processor
    parameter = next(model.parameters())
    inputs = processor(
        images=Image.fromarray(image),
        input_boxes=[[list(box) for box in boxes]],
        return_tensors="pt",
    )
    pixel_values = inputs["pixel_values"].to(parameter.device, parameter.dtype)
    input_boxes = inputs["input_boxes"].to(parameter.device, parameter.dtype)
    with torch.inference_mode():
        outputs = model(pixel_values=pixel_values, input_boxes=input_boxes, multimask_output=False)
    masks = processor.image_processor.post_process_masks(
        outputs.pred_masks.float().cpu(),
        inputs["original_sizes"].cpu(),
        inputs["reshaped_input_sizes"].cpu(),
    )[0]  # (boxes, 1, H, W) bool
    return np.asarray(masks[:, 0].numpy(), dtype=bool)


def langsam_mask(
    grounding_dino: ProcessedModel,
    sam: ProcessedModel,
    image: np.ndarray,
    text: str,
    *,
    box_threshold: float = 0.3,
    text_threshold: float = 0.25,
    bounds: CoverageBounds = CoverageBounds(),
) -> SegmentationResult:
    """LangSAM: text -> GroundingDINO boxes -> SAM mask per box -> union, coverage bounded."""
    boxes, scores = detect_boxes(
        grounding_dino, image, text, box_threshold=box_threshold, text_threshold=text_threshold
    )
    per_box = sam_masks(sam, image, boxes)
    union = np.zeros(image.shape[:2], dtype=bool)
    for box_mask in per_box:
        union |= box_mask
    return _finish(union, "langsam", text, boxes, scores, no_boxes=not boxes, bounds=bounds)


def clipseg_mask(
    clipseg: ProcessedModel,
    image: np.ndarray,
    text: str,
    threshold: float = CLIPSEG_THRESHOLD,
    bounds: CoverageBounds = CoverageBounds(),
) -> SegmentationResult:
    """CLIPSeg: per-pixel sigmoid probability for the text, resized, thresholded,
    coverage bounded."""
    _check_image(image)
    model: Any = clipseg.model
    processor: Any = clipseg.processor
    parameter = next(model.parameters())
    inputs = processor(
        text=[text], images=[Image.fromarray(image)], padding=True, return_tensors="pt"
    )
    with torch.inference_mode():
        logits = model(
            input_ids=inputs["input_ids"].to(parameter.device),
            attention_mask=inputs["attention_mask"].to(parameter.device),
            pixel_values=inputs["pixel_values"].to(parameter.device, parameter.dtype),
        ).logits
    logits = logits.reshape(1, 1, *logits.shape[-2:]).float()
    probabilities = torch.sigmoid(
        torch.nn.functional.interpolate(logits, size=image.shape[:2], mode="bilinear")
    )[0, 0]
    mask = np.asarray(probabilities.cpu().numpy() > threshold, dtype=bool)
    return _finish(mask, "clipseg", text, [], [], no_boxes=False, bounds=bounds)


def bound_coverage(mask: np.ndarray, bounds: CoverageBounds) -> tuple[np.ndarray, str | None]:
    """The mask to animate and the fallback taken (None, ``too-small``, ``too-large``):
    below the minimum the centre ellipse replaces the mask; above the maximum the mask is
    cut to the ellipse (what the segmenter found there still moves, the frame edges not)."""
    coverage = float(mask.mean())
    if coverage < bounds.minimum:
        return fallback_region(*mask.shape), "too-small"
    if coverage > bounds.maximum:
        cut: np.ndarray = mask & fallback_region(*mask.shape)
        return cut, "too-large"
    return mask, None


def _finish(
    mask: np.ndarray,
    method: str,
    text: str,
    boxes: list[tuple[float, float, float, float]],
    scores: list[float],
    *,
    no_boxes: bool,
    bounds: CoverageBounds,
) -> SegmentationResult:
    segmented = float(mask.mean())
    bounded, fallback = bound_coverage(mask.astype(bool), bounds)
    note: str | None = None
    if fallback == "too-small":
        reason = (
            "no box above the thresholds"
            if no_boxes
            else f"the mask covered {segmented:.1%}, less than {bounds.minimum:.0%}"
        )
        note = f"{method} found no usable {text!r} ({reason}); animating the centre ellipse"
    elif fallback == "too-large":
        note = (
            f"{method} marked {segmented:.1%} of the image for {text!r}, more than "
            f"{bounds.maximum:.0%}; cut to the centre ellipse so the frame edges stay still"
        )
    return SegmentationResult(
        mask=bounded,
        method=method,
        text=text,
        boxes=tuple(boxes),
        box_scores=tuple(scores),
        fallback=fallback,
        segmented_coverage=segmented,
        fallback_note=note,
    )
