"""Depth stage: a monocular depth model (DPT or Depth-Anything through transformers) ->
float32 (H, W) in [0, 1], larger = nearer, at the image's own size."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.model_set import ProcessedModel

# Both DPT (MiDaS) and Depth-Anything predict relative *inverse* depth (disparity):
# larger already means nearer, which is the convention the camera stage expects.


def normalise_depth(prediction: np.ndarray) -> np.ndarray:
    """Min-max normalise to [0, 1] float32. A constant map (no depth cue at all) becomes
    a flat 0.5, i.e. no parallax, rather than a division by zero."""
    values = np.asarray(prediction, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("depth prediction contains non-finite values")
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.full(values.shape, 0.5, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def estimate_depth(depth: ProcessedModel, image: np.ndarray) -> np.ndarray:
    """Depth of a uint8 RGB image, resized (bicubic) back to the image's height and width."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    model: Any = depth.model
    parameter = next(model.parameters())
    pixels = depth.processor(images=Image.fromarray(image), return_tensors="pt")["pixel_values"].to(
        parameter.device, parameter.dtype
    )
    with torch.inference_mode():
        predicted = model(pixel_values=pixels).predicted_depth  # (1, h, w)
    resized = torch.nn.functional.interpolate(
        predicted[:, None].float(), size=image.shape[:2], mode="bicubic", align_corners=False
    )[0, 0]
    return normalise_depth(resized.cpu().numpy())
