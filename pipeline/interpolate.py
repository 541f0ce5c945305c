"""Linear blending between consecutive frames of a loop."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.frames import check_frames


def interpolate_loop(frames: Sequence[np.ndarray], inbetweens: int) -> list[np.ndarray]:
    """Insert ``inbetweens`` linearly blended frames after every frame, wrapping around.

    The last key frame blends into the first, so the result plays as a seamless loop of
    ``len(frames) * (inbetweens + 1)`` frames. Frames are uint8 RGB (H, W, 3) of one shape.
    """
    if inbetweens < 0:
        raise ValueError(f"inbetweens must be >= 0, got {inbetweens}")
    check_frames(frames)
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
