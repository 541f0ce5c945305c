"""The 3D camera: unproject pixels with their depth, move a pinhole camera along a looping
path (the second paper's circular and up-down paths, plus a dolly zoom-in), project back.

Depth maps here are relative inverse depth (disparity) in [0, 1], larger = nearer, as
DPT / Depth-Anything give them. They become metric-like depth z in [1, NEAR_TO_FAR]
(z = 1 for the nearest point), and the camera's focal length is the image width, so a
sideways camera step of ``a`` moves the nearest point by ``a * width`` pixels and a
point at z by ``a * width / z``: that difference is the parallax.
"""

from __future__ import annotations

import math

import torch

CAMERA_PATHS = ("none", "circular", "up-down", "zoom")
# Farthest depth as a multiple of the nearest: enough range for clear parallax between
# foreground and background without the far plane freezing completely.
NEAR_TO_FAR = 5.0
# A zoom path dollies forward by this many amplitudes at its deepest point.
ZOOM_DEPTH = 4.0


def check_path(path: str) -> None:
    """Raise ValueError unless ``path`` is a known camera path."""
    if path not in CAMERA_PATHS:
        raise ValueError(f"camera path must be one of {CAMERA_PATHS}, got {path!r}")


def camera_translation(
    path: str, frame: int, frames: int, amplitude: float
) -> tuple[float, float, float]:
    """Camera position (x, y, z) at ``frame`` of a loop of ``frames``, in units of the
    nearest depth. Every path is periodic in ``frames``, so the loop closes."""
    check_path(path)
    phase = 2.0 * math.pi * frame / frames
    if path == "circular":
        return amplitude * math.sin(phase), amplitude * math.cos(phase), 0.0
    if path == "up-down":
        return 0.0, amplitude * math.sin(phase), 0.0
    if path == "zoom":
        return 0.0, 0.0, ZOOM_DEPTH * amplitude * (1.0 - math.cos(phase)) / 2.0
    return 0.0, 0.0, 0.0


def overscan(path: str, amplitude: float, size: tuple[int, int]) -> float:
    """Magnification that keeps the image border out of view on ``path``: the nearest
    point moves at most ``amplitude * width`` pixels sideways or up and down."""
    check_path(path)
    if path in {"none", "zoom"}:
        return 1.0
    height, width = size
    return 1.0 + 2.0 * amplitude * max(1.0, width / height)


def metric_depth(nearness: torch.Tensor) -> torch.Tensor:
    """Depth z in [1, NEAR_TO_FAR] from nearness (disparity) in [0, 1]."""
    return 1.0 / (1.0 / NEAR_TO_FAR + nearness * (1.0 - 1.0 / NEAR_TO_FAR))


def project(
    positions: torch.Tensor,
    depth: torch.Tensor,
    translation: torch.Tensor,
    size: tuple[int, int],
    magnification: float = 1.0,
) -> torch.Tensor:
    """Move the camera and re-project: (B, P, 2) pixel positions seen from it.

    ``positions`` (B, P, 2) or (P, 2) are where points sit in the still's view (x, y);
    ``depth`` (P,) their metric depth; ``translation`` (B, 3) the camera position per
    frame. The camera looks down +z with focal length = image width; ``magnification``
    scales about the centre (overscan).
    """
    height, width = size
    focal = float(width)
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    x = (positions[..., 0] - centre_x) * depth / focal
    y = (positions[..., 1] - centre_y) * depth / focal
    shift = translation.unsqueeze(1)  # (B, 1, 3)
    z = (depth - shift[..., 2]).clamp_min(1e-3)
    u = focal * magnification * (x - shift[..., 0]) / z + centre_x
    v = focal * magnification * (y - shift[..., 1]) / z + centre_y
    return torch.stack([u, v], dim=-1)
