"""A two-layer depth image: the still as the front layer, and a background layer behind
the near side of every depth discontinuity, so a camera move reveals background there
instead of a hole (the paper's layered depth image, cut to the two layers that matter).

Where the nearness drops by more than DEPTH_EDGE within a few pixels, the near pixels
next to the drop are covered background: the background layer holds, for them, the far
surface's depth continued underneath and a colour painted by a `FillFn` (the inpainting
model when one is loaded, else pull-push) from the far side only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional

# A nearness step larger than this between neighbours is a depth discontinuity.
DEPTH_EDGE = 0.08

# (image uint8 (H, W, 3), hole bool (H, W)) -> image with the hole painted.
FillFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BackgroundLayer:
    """Pixels that are covered background: where (``region``), what colour and depth."""

    region: np.ndarray  # bool (H, W)
    color: np.ndarray  # uint8 (H, W, 3): painted inside region, the still elsewhere
    nearness: np.ndarray  # float32 (H, W): the far surface continued inside region


def local_min(values: np.ndarray, radius: int) -> np.ndarray:
    """Float32 minimum of ``values`` (H, W) over a (2r+1)² window."""
    tensor = torch.from_numpy(values.astype(np.float32))[None, None]
    pooled = -functional.max_pool2d(-tensor, 2 * radius + 1, stride=1, padding=radius)
    result: np.ndarray = pooled[0, 0].numpy()
    return result


def background_layer(
    image: np.ndarray, nearness: np.ndarray, radius: int, fill: FillFn
) -> BackgroundLayer:
    """The background behind near pixels within ``radius`` of a depth discontinuity.

    ``radius`` should cover the largest parallax between the layers in pixels: that is
    how far a camera move can open the gap.
    """
    if radius < 1:
        raise ValueError(f"radius must be >= 1, got {radius}")
    far = local_min(nearness, radius)
    region = (nearness - far) > DEPTH_EDGE
    if not region.any():
        return BackgroundLayer(region, image, nearness.astype(np.float32))
    # Paint only from pixels that are background themselves: the near object's own
    # pixels next to the edge must not bleed into what lies behind it.
    far_wide = local_min(nearness, 2 * radius)
    context = ~region & ((nearness - far_wide) <= DEPTH_EDGE)
    source = np.where(context[..., None], image, 0).astype(np.uint8)
    painted = fill(source, ~context)
    if painted.shape != image.shape or painted.dtype != np.uint8:
        raise ValueError(
            f"fill returned {painted.dtype} {painted.shape}, expected uint8 {image.shape}"
        )
    color = np.where(region[..., None], painted, image)
    layer_nearness = np.where(region, far, nearness).astype(np.float32)
    return BackgroundLayer(region, color, layer_nearness)
