"""The Eulerian motion field of a hazard and its Euler integration into trajectories.

Second paper (DESIGN.md step 6): every pixel of the moving region has a constant
velocity; a particle's path is found by repeatedly stepping along the field.
"""

from __future__ import annotations

import math

import numpy as np

from cap.taxonomy import MotionSpec
from pipeline.warp import pixel_grid, sample_bilinear

# MotionSpec.speed is in pixels per frame for a 512 px wide image.
REFERENCE_WIDTH = 512
# turbulence = 1 bends the flow by up to this many degrees either way.
MAX_TURBULENCE_DEG = 45.0
# The turbulence pattern varies over about this many cells across the image: smooth
# enough to read as one flow, varied enough to look natural.
TURBULENCE_CELLS = 4
# Speed ramps up over this share of the smaller image side inside the mask border, so the
# moving region does not tear away from the still one.
FEATHER_FRACTION = 0.03


def smooth_noise(height: int, width: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Seeded float32 (H, W) noise in [-1, 1]: a coarse random lattice, bilinearly upsampled."""
    lattice = rng.uniform(-1.0, 1.0, size=(cells + 1, cells + 1, 1)).astype(np.float32)
    xs = np.linspace(0.0, cells, width, dtype=np.float32)
    ys = np.linspace(0.0, cells, height, dtype=np.float32)
    positions = np.stack(np.meshgrid(xs, ys), axis=-1)
    return sample_bilinear(lattice, positions)[..., 0]


def feather_weights(mask: np.ndarray, radius: int) -> np.ndarray:
    """Float32 weights: 0 outside ``mask``, about 0.5 on its border, 1 deep inside.

    A box blur of the mask (integral image, O(H·W) for any radius), kept only inside it.
    """
    padded = np.pad(mask.astype(np.float64), radius, mode="edge")
    integral = np.pad(padded.cumsum(axis=0).cumsum(axis=1), ((1, 0), (1, 0)))
    size = 2 * radius + 1
    height, width = mask.shape
    box = (
        integral[size : size + height, size : size + width]
        - integral[0:height, size : size + width]
        - integral[size : size + height, 0:width]
        + integral[0:height, 0:width]
    ) / (size * size)
    return np.where(mask, box, 0.0).astype(np.float32)


def motion_field(mask: np.ndarray, motion: MotionSpec, rng: np.random.Generator) -> np.ndarray:
    """Float32 (H, W, 2) velocity (dx, dy) in pixels per frame: the hazard's flow inside ``mask``.

    Direction and speed come from ``motion`` (speed scaled by width / 512); turbulence bends
    the direction by a smooth seeded pattern; the speed is zero outside the mask and
    feathered at its border.
    """
    if mask.dtype != np.bool_ or mask.ndim != 2:
        raise ValueError(f"mask must be bool (H, W), got {mask.dtype} {mask.shape}")
    if not 0.0 <= motion.turbulence <= 1.0:
        raise ValueError(f"motion turbulence must be within [0, 1], got {motion.turbulence!r}")
    if motion.speed < 0 or not math.isfinite(motion.speed):
        raise ValueError(f"motion speed must be finite and >= 0, got {motion.speed!r}")
    height, width = mask.shape
    speed = motion.speed * width / REFERENCE_WIDTH
    # Always draw the noise so the generator advances the same way whatever the spec says.
    noise = smooth_noise(height, width, TURBULENCE_CELLS, rng)
    angle = np.radians(motion.direction_deg + motion.turbulence * MAX_TURBULENCE_DEG * noise)
    radius = max(1, round(FEATHER_FRACTION * min(height, width)))
    magnitude = speed * feather_weights(mask, radius)
    field = np.stack([np.cos(angle) * magnitude, np.sin(angle) * magnitude], axis=-1)
    return field.astype(np.float32)


def euler_trajectories(field: np.ndarray, steps: int, sign: float) -> list[np.ndarray]:
    """Positions after 0..steps Euler steps along ``sign * field`` from every pixel centre.

    ``sign = -1`` traces each pixel back to where its content came from (for backward
    warping forward in time); ``sign = +1`` traces where it is going (for negative time).
    Returns ``steps + 1`` float32 (H, W, 2) arrays; the first is the pixel grid itself.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    height, width = field.shape[:2]
    positions = pixel_grid(height, width)
    trajectory = [positions]
    for _ in range(steps):
        positions = positions + np.float32(sign) * sample_bilinear(field, positions)
        trajectory.append(positions)
    return trajectory
