"""Mask stage: which pixels move. LangSAM's method rebuilt on transformers — GroundingDINO
boxes for the hazard's moving-element text (box threshold 0.3, text threshold 0.25), one
SAM mask per box, union — and CLIPSeg as the lighter alternative.

An empty mask is handled explicitly: the documented fallback region (a centred ellipse,
see `fallback_region`) is used and the result says so in ``fallback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.model_set import ProcessedModel

# Semi-axes of the fallback ellipse as fractions of width and height: ~38 % of the image,
# enough motion to read as an animation without moving the frame edges.
FALLBACK_SEMI_AXES = (0.35, 0.35)
CLIPSEG_THRESHOLD = 0.4


@dataclass(frozen=True)
class SegmentationResult:
    """A bool (H, W) mask and how it was found.

    ``fallback`` is None when the segmenter found the element, else the reason the
    documented fallback region was used instead."""

    mask: np.ndarray
    method: str
    text: str
    boxes: tuple[tuple[float, float, float, float], ...]
    box_scores: tuple[float, ...]
    fallback: str | None

    @property
    def coverage(self) -> float:
        """Share of pixels inside the mask."""
        return float(self.mask.mean())


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
) -> SegmentationResult:
    """LangSAM: text -> GroundingDINO boxes -> SAM mask per box -> union."""
    boxes, scores = detect_boxes(
        grounding_dino, image, text, box_threshold=box_threshold, text_threshold=text_threshold
    )
    per_box = sam_masks(sam, image, boxes)
    union = np.zeros(image.shape[:2], dtype=bool)
    for box_mask in per_box:
        union |= box_mask
    return _finish(union, "langsam", text, boxes, scores, no_boxes=not boxes)


def clipseg_mask(
    clipseg: ProcessedModel, image: np.ndarray, text: str, threshold: float = CLIPSEG_THRESHOLD
) -> SegmentationResult:
    """CLIPSeg: per-pixel sigmoid probability for the text, resized, thresholded."""
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
    return _finish(mask, "clipseg", text, [], [], no_boxes=False)


def _finish(
    mask: np.ndarray,
    method: str,
    text: str,
    boxes: list[tuple[float, float, float, float]],
    scores: list[float],
    *,
    no_boxes: bool,
) -> SegmentationResult:
    fallback: str | None = None
    if not mask.any():
        reason = "no box above the thresholds" if no_boxes else "the mask was empty"
        fallback = f"{method} found no {text!r} ({reason}); animating the centre ellipse"
        mask = fallback_region(*mask.shape)
    return SegmentationResult(
        mask=mask.astype(bool),
        method=method,
        text=text,
        boxes=tuple(boxes),
        box_scores=tuple(scores),
        fallback=fallback,
    )
