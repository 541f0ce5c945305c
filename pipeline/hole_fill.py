"""Classical hole filling by pull-push (Gortler et al. 1996): average what is known into
ever coarser levels, then paint each level's gaps from the level below.

It fills from the hole's surroundings in every direction at once (no streaks, no
stretching of one edge), and it is the fill used where no inpainting model is loaded
(the tiny/CPU profile); `pipeline.cinemagraph` reports which fill it used.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional


def pull_push(values: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Fill ``values`` (B, C, H, W) where ``weight`` (B, 1, H, W), in [0, 1], is below 1.

    A pixel of weight 1 keeps its value; weight 0 takes the smooth fill from its
    surroundings; weights in between blend. An image with no known pixel at all stays 0.
    """
    weight = weight.clamp(0.0, 1.0)
    height, width = values.shape[-2:]
    if height <= 1 and width <= 1:
        return values
    pad = (0, width % 2, 0, height % 2)
    padded_values = functional.pad(values * weight, pad)
    padded_weight = functional.pad(weight, pad)
    coarse_sum = functional.avg_pool2d(padded_values, 2) * 4.0
    coarse_weight = functional.avg_pool2d(padded_weight, 2) * 4.0
    coarse = coarse_sum / coarse_weight.clamp_min(1e-8)
    filled = pull_push(coarse, coarse_weight.clamp(0.0, 1.0))
    up = functional.interpolate(filled, size=(height, width), mode="bilinear", align_corners=False)
    return values * weight + up * (1.0 - weight)


def fill_holes(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) ``image`` with the pixels of bool (H, W) ``hole`` painted by pull-push
    from the rest; the `pipeline.layers.FillFn` used without an inpainting model."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if hole.dtype != np.bool_ or hole.shape != image.shape[:2]:
        raise ValueError(f"hole must be bool {image.shape[:2]}, got {hole.dtype} {hole.shape}")
    values = torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1).unsqueeze(0)
    weight = torch.from_numpy((~hole).astype(np.float32))[None, None]
    filled = pull_push(values, weight)[0].permute(1, 2, 0).numpy()
    result: np.ndarray = np.clip(np.rint(filled), 0, 255).astype(np.uint8)
    return result
