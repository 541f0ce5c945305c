"""Backward warping: sample an array at fractional positions with bilinear weights.

Runs on torch's ``grid_sample`` (vectorised C++ on CPU), which is an order of magnitude
faster than the same bilinear lookup written with numpy fancy indexing at 512 px.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional


def pixel_grid(height: int, width: int) -> np.ndarray:
    """Float32 (H, W, 2) positions of every pixel centre as (x, y)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([xs, ys], axis=-1)


def sample_bilinear(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Sample ``values`` (H, W, C) at ``positions`` (..., 2) given as (x, y); edges are clamped.

    This is backward warping: output pixel ``i`` takes the source value found at
    ``positions[i]``, blending the four neighbouring pixels. Positions outside the image
    read the nearest edge pixel, so content never turns black at the borders. Returns
    float32 of shape ``positions.shape[:-1] + (C,)``.
    """
    if values.ndim != 3:
        raise ValueError(f"values must be (H, W, C), got shape {values.shape}")
    if positions.ndim < 2 or positions.shape[-1] != 2:
        raise ValueError(f"positions must be (..., 2) as (x, y), got shape {positions.shape}")
    height, width, channels = values.shape
    source = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    source = source.permute(2, 0, 1).unsqueeze(0)
    # grid_sample wants (x, y) scaled to [-1, 1] with -1/+1 at the first/last pixel centre.
    scale = np.array([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], dtype=np.float32)
    flat = positions.reshape(-1, positions.shape[-2], 2).astype(np.float32) * scale - 1.0
    grid = torch.from_numpy(flat).reshape(1, -1, positions.shape[-2], 2)
    with torch.inference_mode():
        sampled = functional.grid_sample(
            source, grid, mode="bilinear", padding_mode="border", align_corners=True
        )
    result = sampled[0].permute(1, 2, 0).numpy()
    reshaped: np.ndarray = result.reshape(*positions.shape[:-1], channels)
    return reshaped


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """Round a float frame in [0, 255] to uint8."""
    rounded: np.ndarray = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    return rounded
