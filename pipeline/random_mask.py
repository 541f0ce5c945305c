"""A seeded random mask made of square blocks on the latent grid, covering a set share of
the image.

Why blocks: Stable Diffusion inpaints in an 8x-downsampled latent space. Scattered single
pixels (the old mask) each cover 1/64 of a latent cell, so the latent mask barely marks
them, while the composite pastes exactly those pixels back from every variant: ~14 % of
the still background flickered. A block that is a whole number of latent cells is one
region the model really repaints, and the composite of it is coherent.
"""

from __future__ import annotations

import numpy as np


def random_mask(
    height: int, width: int, ratio: float, rng: np.random.Generator, *, block: int = 1
) -> np.ndarray:
    """A bool (height, width) mask of ``block`` x ``block`` squares whose corners sit on
    multiples of ``block``, covering ``ratio`` of the pixels to within half a block.

    Blocks are drawn without replacement in a random order and the prefix whose area is
    nearest the target is kept; with ``block=1`` the count is exactly
    ``round(ratio * height * width)``. Edge blocks of an image that is not a multiple of
    ``block`` are cut by the border and count with their real area.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"mask size must be positive, got height={height}, width={width}")
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"random mask ratio must be within [0, 1], got {ratio!r}")
    if block < 1:
        raise ValueError(f"block must be >= 1 pixel, got {block}")
    rows, cols = -(-height // block), -(-width // block)
    block_heights = np.minimum(block, height - np.arange(rows) * block)
    block_widths = np.minimum(block, width - np.arange(cols) * block)
    areas = (block_heights[:, None] * block_widths[None, :]).reshape(-1)
    target = ratio * height * width
    order = rng.permutation(rows * cols)
    if height % block == 0 and width % block == 0:
        count = round(target / (block * block))  # equal blocks: the nearest whole count
    else:
        covered = np.concatenate([[0], np.cumsum(areas[order])])
        count = int(np.argmin(np.abs(covered - target)))
    cells = np.zeros(rows * cols, dtype=bool)
    cells[order[:count]] = True
    grid = cells.reshape(rows, cols)
    full: np.ndarray = np.repeat(np.repeat(grid, block, axis=0), block, axis=1)
    return np.ascontiguousarray(full[:height, :width])
