"""A small depth-driven camera move: near pixels shift more than far ones (parallax)."""

from __future__ import annotations

import math

import numpy as np

from cap.taxonomy import CAMERA_MOVES

# Largest shift of the nearest pixels, as a share of the image width: big enough to read
# as depth, small enough that the clamped edges stay unnoticed.
CAMERA_AMPLITUDE_FRACTION = 0.015


def camera_offset(move: str, frame: int, frames: int, width: int) -> tuple[float, float]:
    """The (dx, dy) shift of the nearest depth at ``frame`` of a loop of ``frames``.

    Both moves start at (0, 0) and return there after one period, so the loop closes.
    """
    if move not in CAMERA_MOVES:
        raise ValueError(f"camera move must be one of {CAMERA_MOVES}, got {move!r}")
    amplitude = CAMERA_AMPLITUDE_FRACTION * width
    phase = 2.0 * math.pi * frame / frames
    if move == "circular":
        return amplitude * (math.cos(phase) - 1.0), amplitude * math.sin(phase)
    if move == "up-down":
        return 0.0, amplitude * math.sin(phase)
    return 0.0, 0.0


def parallax_positions(
    grid: np.ndarray, depth: np.ndarray, offset: tuple[float, float]
) -> np.ndarray:
    """Where each output pixel samples from when the view shifts by ``offset · depth``.

    Depth is in [0, 1] with larger = nearer, so the background barely moves.
    """
    shift = np.array(offset, dtype=np.float32)
    positions: np.ndarray = grid - depth[..., None].astype(np.float32) * shift
    return positions


def check_depth(depth: np.ndarray, shape: tuple[int, int]) -> None:
    """Raise ValueError unless ``depth`` is a finite float (H, W) map within [0, 1]."""
    if depth.shape != shape or not np.issubdtype(depth.dtype, np.floating):
        raise ValueError(f"depth must be float {shape}, got {depth.dtype} {depth.shape}")
    if not np.all(np.isfinite(depth)) or depth.min() < 0.0 or depth.max() > 1.0:
        raise ValueError(
            f"depth must be finite within [0, 1], got range [{depth.min()!r}, {depth.max()!r}]"
        )
