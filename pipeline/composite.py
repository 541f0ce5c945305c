"""The composite of an inpainted variant over the still source image: what may move is
the inpainting mask grown by a few pixels, and its edge is feathered, so a repainted
region blends into the untouched picture instead of ending in a hard seam. Outside the
grown mask every pixel is the source's, exactly."""

from __future__ import annotations

import numpy as np


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` grown by ``pixels`` in every direction (8-connected, square steps)."""
    if pixels < 0:
        raise ValueError(f"dilation must be >= 0 pixels, got {pixels}")
    grown = mask.astype(bool)
    height, width = grown.shape
    for _ in range(pixels):
        padded = np.pad(grown, 1)
        step = np.zeros_like(grown)
        for dy in range(3):
            for dx in range(3):
                step |= padded[dy : dy + height, dx : dx + width]
        grown = step
    return grown


def feather_alpha(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Float32 weights of the variant: 1 on ``mask``, falling linearly over ``pixels``
    rings around it, 0 from the edge of ``dilate(mask, pixels)`` outwards."""
    alpha = mask.astype(np.float32)
    reached = mask.astype(bool)
    for ring in range(1, pixels + 1):
        grown = dilate(reached, 1)
        alpha[grown & ~reached] = np.float32(1.0 - ring / (pixels + 1))
        reached = grown
    return alpha


def composite(source: np.ndarray, variant: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``alpha * variant + (1 - alpha) * source`` as uint8; where alpha is 0 the source's
    bytes are copied unchanged (no rounding round trip)."""
    weight = alpha[:, :, None]
    blended = weight * variant.astype(np.float32) + (1.0 - weight) * source.astype(np.float32)
    mixed = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    result: np.ndarray = np.where(weight > 0, mixed, source)
    return result
