"""A seeded random mask that covers an exact share of the image's pixels."""

from __future__ import annotations

import numpy as np


def random_mask(height: int, width: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Return a bool (height, width) mask with exactly ``round(ratio * height * width)`` True.

    Pixels are drawn without replacement, so the count is exact rather than expected
    (masked sampling's first paper fixes the random share of the inpainting mask at 15 %).
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"mask size must be positive, got height={height}, width={width}")
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"random mask ratio must be within [0, 1], got {ratio!r}")
    total = height * width
    count = round(ratio * total)
    chosen = rng.choice(total, size=count, replace=False)
    flat = np.zeros(total, dtype=bool)
    flat[chosen] = True
    return flat.reshape(height, width)
