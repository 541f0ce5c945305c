"""Cinemagraph: animate the masked region along the hazard's Eulerian flow, looping seamlessly.

DESIGN.md "The method" step 6, second paper. Steps: a motion field inside the mask,
Euler integration into trajectories, backward warping, symmetric loop blending, and an
optional depth-driven camera move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cap.taxonomy import CAMERA_MOVES, MotionSpec
from pipeline.camera import camera_offset, check_depth, parallax_positions
from pipeline.motion import euler_trajectories, motion_field
from pipeline.warp import pixel_grid, sample_bilinear, to_uint8


@dataclass(frozen=True)
class CinemagraphConfig:
    """Loop length and camera choice. ``camera=None`` uses the hazard's suggestion."""

    frames: int = 16
    fps: float = 8.0
    camera: str | None = None

    def __post_init__(self) -> None:
        if self.frames < 2:
            raise ValueError(f"a loop needs at least 2 frames, got {self.frames}")
        if not self.fps > 0:
            raise ValueError(f"fps must be > 0, got {self.fps!r}")
        if self.camera is not None and self.camera not in CAMERA_MOVES:
            raise ValueError(f"camera must be one of {CAMERA_MOVES} or None, got {self.camera!r}")


def animate_cinemagraph(  # noqa: PLR0917 - positional order is the stage contract
    image: np.ndarray,
    mask: np.ndarray,
    motion: MotionSpec,
    config: CinemagraphConfig,
    rng: np.random.Generator,
    depth: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Return ``config.frames`` uint8 frames that loop: the frame after the last is the first.

    Frame ``t`` of a loop of ``N`` blends two warps of the still image (symmetric
    looping): one flowed forward ``t`` steps, weight ``1 - t/N``, and one flowed
    backward ``N - t`` steps, weight ``t/N``. At ``t = N`` the blend is the still image
    again, so the seam is as smooth as any other step.

    The camera move (``config.camera``, or the hazard's ``motion.camera`` when that is
    None) needs a depth map: a suggested move is applied only when ``depth`` is given,
    while an explicitly configured move without ``depth`` is an error.
    """
    check_inputs(image, mask)
    height, width = mask.shape
    move = resolve_camera(config.camera, motion.camera, depth)
    if depth is not None:
        check_depth(depth, (height, width))

    # 1. Eulerian motion field, constant in time.
    field = motion_field(mask, motion, rng)
    # 2. Euler integration: where each pixel's content was t steps ago (backward trace)
    #    and where it will be (forward trace, used for the negative-time half of the loop).
    frames = config.frames
    came_from = euler_trajectories(field, frames, sign=-1.0)
    goes_to = euler_trajectories(field, frames, sign=1.0)

    source = image.astype(np.float32)
    grid = pixel_grid(height, width)
    output: list[np.ndarray] = []
    for t in range(frames):
        forward_positions = came_from[t]
        backward_positions = goes_to[frames - t]
        if move != "none" and depth is not None:
            # 3. Camera: look up the animation where the shifted view lands (parallax).
            view = parallax_positions(grid, depth, camera_offset(move, t, frames, width))
            forward_positions = sample_bilinear(forward_positions, view)
            backward_positions = sample_bilinear(backward_positions, view)
        # 4. Backward warping of the still image and symmetric loop blend.
        weight = np.float32(t / frames)
        forward = sample_bilinear(source, forward_positions)
        backward = sample_bilinear(source, backward_positions)
        output.append(to_uint8(forward * (np.float32(1.0) - weight) + backward * weight))
    return output


def resolve_camera(configured: str | None, suggested: str, depth: np.ndarray | None) -> str:
    """The camera move to apply, following the rule in `animate_cinemagraph`'s docstring."""
    if configured is not None:
        if configured != "none" and depth is None:
            raise ValueError(f"camera move {configured!r} needs a depth map, got depth=None")
        return configured
    if suggested not in CAMERA_MOVES:
        raise ValueError(f"hazard suggests unknown camera move {suggested!r}")
    return suggested if depth is not None else "none"


def check_inputs(image: np.ndarray, mask: np.ndarray) -> None:
    """Raise ValueError naming the bad value unless image and mask fit the contract."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
        raise ValueError(f"mask must be bool {image.shape[:2]}, got {mask.dtype} {mask.shape}")
