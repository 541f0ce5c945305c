"""Linear blending between consecutive frames of a loop."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def interpolate_loop(frames: Sequence[np.ndarray], inbetweens: int) -> list[np.ndarray]:
    """Insert ``inbetweens`` linearly blended frames after every frame, wrapping around.

    The last key frame blends into the first, so the result plays as a seamless loop of
    ``len(frames) * (inbetweens + 1)`` frames. Frames are uint8 RGB (H, W, 3) of one shape.
    """
    if inbetweens < 0:
        raise ValueError(f"inbetweens must be >= 0, got {inbetweens}")
    if len(frames) == 0:
        raise ValueError("interpolate_loop needs at least one frame, got none")
    shape = frames[0].shape
    for index, frame in enumerate(frames):
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(
                f"frame {index} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}"
            )
        if frame.shape != shape:
            raise ValueError(f"frame {index} has shape {frame.shape}, frame 0 has {shape}")

    steps = inbetweens + 1
    output: list[np.ndarray] = []
    for index, start in enumerate(frames):
        end = frames[(index + 1) % len(frames)]
        output.append(start.copy())
        start_f = start.astype(np.float32)
        end_f = end.astype(np.float32)
        for step in range(1, steps):
            weight = np.float32(step / steps)
            blended = start_f * (np.float32(1.0) - weight) + end_f * weight
            output.append(np.clip(np.rint(blended), 0, 255).astype(np.uint8))
    return output
