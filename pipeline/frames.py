"""The one check every frame-sequence stage makes: non-empty uint8 RGB frames of one shape."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_frames(frames: Sequence[np.ndarray]) -> tuple[int, int]:
    """Raise ValueError unless frames are non-empty uint8 (H, W, 3) of one shape; return (H, W)."""
    if len(frames) == 0:
        raise ValueError("need at least one frame, got no frames")
    shape = frames[0].shape
    for index, frame in enumerate(frames):
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(
                f"frame {index} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}"
            )
        if frame.shape != shape:
            raise ValueError(f"frame {index} has shape {frame.shape}, frame 0 has {shape}")
    return int(shape[0]), int(shape[1])
