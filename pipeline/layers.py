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
    how far a camera move can open the gap. Only jumps between neighbouring pixels count,
    so a steep but smooth slope (a ground plane) is one surface, not a stack of layers.
    """
    if radius < 1:
        raise ValueError(f"radius must be >= 1, got {radius}")
    # The near side of a jump: a pixel nearer than one of its 8 neighbours by > DEPTH_EDGE;
    # the far side's level is that neighbour's nearness.
    neighbour_far = local_min(nearness, 1)
    jump = (nearness - neighbour_far) > DEPTH_EDGE
    if not jump.any():
        return BackgroundLayer(np.zeros(nearness.shape, bool), image, nearness.astype(np.float32))
    far_level = np.where(jump, neighbour_far, np.inf).astype(np.float32)
    behind = local_min(far_level, radius)
    region = (nearness - behind) > DEPTH_EDGE
    # Paint only from pixels that are background themselves: the near object's own
    # pixels (even those farther inside it than the band) must not bleed behind it.
    behind_wide = local_min(far_level, 2 * radius)
    context = ~region & ~((nearness - behind_wide) > DEPTH_EDGE)
    source = np.where(context[..., None], image, 0).astype(np.uint8)
    painted = fill(source, ~context)
    if painted.shape != image.shape or painted.dtype != np.uint8:
        raise ValueError(
            f"fill returned {painted.dtype} {painted.shape}, expected uint8 {image.shape}"
        )
    color = np.where(region[..., None], painted, image)
    layer_nearness = np.where(region, behind, nearness).astype(np.float32)
    return BackgroundLayer(region, color, layer_nearness)
