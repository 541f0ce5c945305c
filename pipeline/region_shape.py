"""What the motion field reads from a region's shape: local long axis, distance from the
edge, height within the region; plus the seeded smooth noise that makes it turbulent.

All of it is box filtering on integral images (O(H·W) for any radius): no SciPy here.
"""

from __future__ import annotations

import numpy as np

from pipeline.warp import sample_bilinear


def box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Float32 mean of ``values`` (H, W) over a (2r+1)² box; edges repeat the border."""
    padded = np.pad(values.astype(np.float64), radius, mode="edge")
    integral = np.pad(padded.cumsum(axis=0).cumsum(axis=1), ((1, 0), (1, 0)))
    size = 2 * radius + 1
    height, width = values.shape
    box = (
        integral[size : size + height, size : size + width]
        - integral[0:height, size : size + width]
        - integral[size : size + height, 0:width]
        + integral[0:height, 0:width]
    ) / (size * size)
    result: np.ndarray = box.astype(np.float32)
    return result


def edge_profile(mask: np.ndarray, radius: int) -> np.ndarray:
    """Float32 (H, W): 0 outside ``mask`` and on its edge, rising smoothly to 1 about
    ``radius`` pixels inside it (a box blur of the mask is ~0.5 on its edge)."""
    inside = np.clip(box_mean(mask.astype(np.float32), radius) * 2.0 - 1.0, 0.0, 1.0)
    # smoothstep: no kink where the ramp meets the plateau.
    profile = inside * inside * (3.0 - 2.0 * inside)
    return np.where(mask, profile, 0.0).astype(np.float32)


def local_axis(mask: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """The region's long axis around each pixel and how clearly it has one.

    Returns float32 (H, W, 2) unit vectors (sign arbitrary) and (H, W) coherence in
    [0, 1] (0 = round blob, 1 = a straight band), from the second moments of the mask's
    pixel coordinates within a (2r+1)² window.
    """
    height, width = mask.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    # Coordinates centred and scaled so the moments keep float precision.
    xs = (xs - width / 2) / radius
    ys = (ys - height / 2) / radius
    weight = mask.astype(np.float64)
    count = np.maximum(box_mean(weight, radius).astype(np.float64), 1e-6)

    def mean(values: np.ndarray) -> np.ndarray:
        return box_mean(values * weight, radius).astype(np.float64) / count

    mean_x, mean_y = mean(xs), mean(ys)
    var_x = mean(xs * xs) - mean_x * mean_x
    var_y = mean(ys * ys) - mean_y * mean_y
    cov = mean(xs * ys) - mean_x * mean_y
    angle = 0.5 * np.arctan2(2.0 * cov, var_x - var_y)
    spread = np.sqrt((var_x - var_y) ** 2 + 4.0 * cov * cov)
    coherence = np.clip(spread / np.maximum(var_x + var_y, 1e-9), 0.0, 1.0)
    axis = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    return axis.astype(np.float32), coherence.astype(np.float32)


def height_in_region(mask: np.ndarray) -> np.ndarray:
    """Float32 (H, W): 0 at the region's lowest row, 1 at its highest (clipped outside)."""
    rows = np.flatnonzero(mask.any(axis=1))
    height, width = mask.shape
    if rows.size == 0:
        return np.zeros((height, width), dtype=np.float32)
    top, bottom = float(rows[0]), float(rows[-1])
    ys = np.arange(height, dtype=np.float32)
    column = np.clip((bottom - ys) / max(bottom - top, 1.0), 0.0, 1.0)
    return np.broadcast_to(column[:, None], (height, width)).astype(np.float32)


def smooth_noise(height: int, width: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Seeded float32 (H, W) noise in [-1, 1]: a coarse random lattice, bilinearly upsampled."""
    lattice = rng.uniform(-1.0, 1.0, size=(cells + 1, cells + 1, 1)).astype(np.float32)
    xs = np.linspace(0.0, cells, width, dtype=np.float32)
    ys = np.linspace(0.0, cells, height, dtype=np.float32)
    positions = np.stack(np.meshgrid(xs, ys), axis=-1)
    return sample_bilinear(lattice, positions)[..., 0]
