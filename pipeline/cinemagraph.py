"""Cinemagraph: the still breathes — its hazard flows inside the mask, looping seamlessly,
optionally seen from a slowly moving 3D camera (the second paper, 3D Cinemagraphy).

Steps (numbered as in `animate_cinemagraph`):
1. an Eulerian flow field from the picture (`pipeline.motion`) or a learned predictor;
2. Euler integration of every pixel's path forward and backward in time (`pipeline.splat`);
3. with a camera: a two-layer depth image (`pipeline.layers`) and a camera pose per frame
   (`pipeline.camera`);
4. softmax splatting of the forward and the backward set of points into each frame with
   the symmetric loop weights, nearer points occluding farther ones;
5. holes: with the camera off the still shows through (only the mask moves); with the
   camera on they are filled by pull-push.
All per-frame work is torch on ``device``, batched over frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from pipeline.camera import (
    camera_translation as translation_at,
)
from pipeline.camera import (
    check_path,
    metric_depth,
    overscan,
    project,
)
from pipeline.hole_fill import fill_holes, pull_push
from pipeline.layers import FillFn, background_layer
from pipeline.motion import FlowPrior, scene_flow
from pipeline.region_shape import edge_profile
from pipeline.splat import euler_paths, sample_field, softmax_splat

# Where the summed splat weight is below this, the pixel counts as (part) hole.
HOLE_COVERAGE = 0.5
# Upper bound on splatted point-corners held at once: frames are batched to stay below.
SPLAT_BUDGET = 1 << 23
# Width of the fade from animation to still inside the mask's border, as a share of the
# smaller image side (half the flow's own slow-down ramp, motion.EDGE_FRACTION).
COMPOSITE_FRACTION = 0.03
# Images with a side this long or longer animate on the render device (GPU when there).
GPU_MIN_SIDE = 512


@dataclass(frozen=True)
class CinemagraphConfig:
    """Loop length, camera path and its amplitude (share of the width the nearest point
    moves). ``camera=None`` means the hazard's suggestion, applied only with depth."""

    frames: int = 16
    fps: float = 8.0
    camera: str | None = None
    camera_amplitude: float = 0.02

    def __post_init__(self) -> None:
        if self.frames < 2:
            raise ValueError(f"a loop needs at least 2 frames, got {self.frames}")
        if not self.fps > 0:
            raise ValueError(f"fps must be > 0, got {self.fps!r}")
        if self.camera is not None:
            check_path(self.camera)
        if not 0.0 <= self.camera_amplitude <= 0.1:
            raise ValueError(
                f"camera_amplitude must be within [0, 0.1], got {self.camera_amplitude!r}"
            )


@dataclass(frozen=True)
class CinemagraphResult:
    """The frames and what was done to make them (for the record)."""

    frames: list[np.ndarray]
    flow: np.ndarray  # float32 (H, W, 2) pixels per frame
    camera: str
    hole_fill: str  # "still" (camera off), "classical" (pull-push) or "inpaint"
    hole_fraction: float  # largest share of a frame's pixels that were (part) holes
    background_pixels: int  # size of the background layer
    device: str  # where the per-frame work ran
    timings_ms: dict[str, float]  # flow, integrate, layers, splat


def animate_cinemagraph(  # noqa: PLR0917 - positional order is the stage contract
    image: np.ndarray,
    mask: np.ndarray,
    prior: FlowPrior,
    config: CinemagraphConfig,
    rng: np.random.Generator,
    depth: np.ndarray | None = None,
    *,
    suggested_camera: str = "none",
    flow: np.ndarray | None = None,
    fill: FillFn | None = None,
    device: torch.device | str = "cpu",
) -> CinemagraphResult:
    """Return ``config.frames`` uint8 frames that loop: the frame after the last is the first.

    Frame ``t`` of ``N`` shows time ``s = t + 1/2`` and splats the still twice, as the
    paper's symmetric animation does: every pixel moved ``s`` Euler steps forward
    (weight ``1 - s/N``) and ``N - s`` steps backward in time (weight ``s/N``); each set
    fills what the other leaves empty. The half step keeps the seam (time N - 1/2 to
    N + 1/2, which is 1/2) an ordinary step: at a whole step the frame would be the
    unresampled still, sharper than its neighbours, and the loop would visibly pulse.
    ``flow`` replaces the image-derived field (a learned predictor's output);
    ``fill`` paints the background layer (default: pull-push, reported "classical").
    An explicit camera path without ``depth`` is an error; a suggested one is skipped.
    """
    check_inputs(image, mask, depth)
    height, width = mask.shape
    path = resolve_camera(config.camera, suggested_camera, depth)
    target = torch.device(device)
    clock = _Stopwatch(target)

    # 1. Eulerian flow field, constant in time, zero outside the mask.
    if flow is None:
        flow = scene_flow(mask, prior, rng, depth)
    elif flow.shape != (height, width, 2):
        raise ValueError(f"flow must be ({height}, {width}, 2), got {flow.shape}")
    nearness = np.full((height, width), 0.5, np.float32) if depth is None else depth
    field = torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32)).to(target)
    clock.lap("flow")

    with torch.inference_mode():
        # 2. Euler integration: where each pixel's content is t steps forward / backward.
        frames = config.frames
        forward = euler_paths(field, frames, 1.0)
        backward = euler_paths(field, frames, -1.0)
        clock.lap("integrate")
        # 3. The point cloud: every pixel, plus the background layer under a camera move.
        #    Without a camera only the mask's pixels can change: the others are left out.
        if path == "none":
            keep = torch.from_numpy(np.flatnonzero(mask)).to(target)
            forward, backward = forward[:, keep], backward[:, keep]
        points = _PointCloud.front(image, nearness, target, mask if path == "none" else None)
        layer_pixels = 0
        if path != "none":
            radius = max(2, int(np.ceil(config.camera_amplitude * width * 1.5)) + 2)
            layer = background_layer(image, nearness, radius, fill or fill_holes)
            layer_pixels = int(layer.region.sum())
            points = points.with_background(layer.color, layer.nearness, layer.region)
        clock.lap("layers")
        # 4. + 5. Splat both time directions into every frame, fill what stays empty.
        depth_map = torch.from_numpy(np.ascontiguousarray(nearness, np.float32)).to(target)
        output, hole_fraction = _render_frames(
            image, mask, points, (forward, backward, depth_map.unsqueeze(-1)), path, config
        )
        clock.lap("splat")
    # What painted the disoccluded background: the inpainter only when it had work.
    painted = fill is not None and layer_pixels > 0
    hole_fill = "still" if path == "none" else ("inpaint" if painted else "classical")
    return CinemagraphResult(
        output, flow, path, hole_fill, hole_fraction, layer_pixels, str(target), clock.laps
    )


class _Stopwatch:
    """Milliseconds per sub-stage; waits for the GPU so each lap is its own work."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        self.laps[name] = round((now - self._last) * 1000.0, 1)
        self._last = now


@dataclass(frozen=True)
class _PointCloud:
    """Coloured points: the front layer is every pixel in row-major order; background
    points (with no motion of their own) follow."""

    colors: torch.Tensor  # (P, 3) float32
    nearness: torch.Tensor  # (P,)
    front_count: int
    background_positions: torch.Tensor  # (Q, 2) pixel positions of the background points

    @staticmethod
    def front(
        image: np.ndarray, nearness: np.ndarray, device: torch.device, keep: np.ndarray | None
    ) -> _PointCloud:
        """The pixels as points (only those where ``keep``, when given), row-major."""
        selected = slice(None) if keep is None else keep.reshape(-1)
        colors_np = image.reshape(-1, 3)[selected].astype(np.float32)
        colors = torch.from_numpy(colors_np).to(device)
        near = torch.from_numpy(nearness.reshape(-1)[selected].astype(np.float32)).to(device)
        empty = torch.zeros((0, 2), device=device)
        return _PointCloud(colors, near, colors.shape[0], empty)

    def with_background(
        self, color: np.ndarray, nearness: np.ndarray, region: np.ndarray
    ) -> _PointCloud:
        device = self.colors.device
        ys, xs = np.nonzero(region)
        positions = torch.from_numpy(np.stack([xs, ys], axis=-1).astype(np.float32)).to(device)
        extra_colors = torch.from_numpy(color[ys, xs].astype(np.float32)).to(device)
        extra_near = torch.from_numpy(nearness[ys, xs].astype(np.float32)).to(device)
        return _PointCloud(
            torch.cat([self.colors, extra_colors]),
            torch.cat([self.nearness, extra_near]),
            self.front_count,
            positions,
        )


def _render_frames(  # noqa: PLR0917 - private, one caller
    image: np.ndarray,
    mask: np.ndarray,
    points: _PointCloud,
    paths_and_depth: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    path: str,
    config: CinemagraphConfig,
) -> tuple[list[np.ndarray], float]:
    height, width = mask.shape
    device = points.colors.device
    frames = config.frames
    still = torch.from_numpy(image.astype(np.float32)).to(device)
    # The animation fades into the still over the mask's inner border: a hard seam there
    # would show wherever the flow stretches or piles up its texture. Zero outside.
    fade = edge_profile(mask, max(1, round(COMPOSITE_FRACTION * min(height, width))))
    moving = torch.from_numpy(fade).to(device).unsqueeze(-1)
    rendered = torch.from_numpy(mask).to(device)
    forward, backward, depth_map = paths_and_depth
    magnification = overscan(path, config.camera_amplitude, (height, width))
    background = points.background_positions
    per_frame = 2 * points.colors.shape[0] * 4
    chunk = max(1, min(frames, SPLAT_BUDGET // max(per_frame, 1)))
    output: list[np.ndarray] = []
    worst_holes = 0.0
    for start in range(0, frames, chunk):
        times = list(range(start, min(frames, start + chunk)))
        # Frame t shows time t + 1/2 (see `animate_cinemagraph`).
        weight = torch.tensor([(t + 0.5) / frames for t in times], device=device).unsqueeze(1)
        ahead = [t + 1 for t in times]
        behind = [frames - t for t in times]
        # Both time directions of the front layer, then the static background points,
        # each with its loop weight: (B, 2 * P, 2) positions.
        positions = torch.cat(
            [
                (forward[times] + forward[ahead]) / 2.0,
                background.expand(len(times), -1, -1),
                (backward[behind] + backward[[b - 1 for b in behind]]) / 2.0,
                background.expand(len(times), -1, -1),
            ],
            dim=1,
        )
        count = points.colors.shape[0]
        alpha = torch.cat([(1.0 - weight).expand(-1, count), weight.expand(-1, count)], dim=1)
        colors = torch.cat([points.colors, points.colors])
        nearness = _nearness_at(positions, points, depth_map)
        if path != "none":
            poses = torch.tensor(
                [translation_at(path, t, frames, config.camera_amplitude) for t in times],
                device=device,
            )
            positions = project(
                positions, metric_depth(nearness), poses, (height, width), magnification
            )
        splatted, coverage = softmax_splat(positions, colors, nearness, alpha, (height, width))
        # Without a camera only the mask is rendered: holes elsewhere do not exist.
        uncovered = coverage < HOLE_COVERAGE
        if path == "none":
            uncovered &= rendered
        holes = uncovered.float().mean(dim=(1, 2))
        worst_holes = max(worst_holes, float(holes.max()))
        known = (coverage / HOLE_COVERAGE).clamp(0.0, 1.0).unsqueeze(-1)
        if path == "none":
            # Only the mask moves: outside it the still, and where the flow left a gap
            # inside it the still too (the flow slows to zero at the mask's edge).
            share = known * moving
            frame_batch = splatted * share + still * (1.0 - share)
        else:
            filled = pull_push(splatted.permute(0, 3, 1, 2), known.permute(0, 3, 1, 2))
            frame_batch = filled.permute(0, 2, 3, 1)
        as_uint8 = frame_batch.round().clamp(0, 255).to(torch.uint8).cpu().numpy()
        output.extend(np.ascontiguousarray(frame) for frame in as_uint8)
    return output, worst_holes


def _nearness_at(
    positions: torch.Tensor, points: _PointCloud, depth_map: torch.Tensor
) -> torch.Tensor:
    """(B, 2P) nearness of the points where they are now, in the still's view.

    A moving point takes the depth of the surface it has moved onto (the paper lifts the
    2D flow to 3D scene flow the same way, with the depth at both ends): water running
    down a slope comes nearer, and the two time directions landing on one pixel compare
    by their loop weights, not by where each started. Background points keep theirs.
    """
    batch = positions.shape[0]
    front, count = points.front_count, points.colors.shape[0]
    moved = torch.cat([positions[:, :front], positions[:, count : count + front]], dim=1)
    sampled = sample_field(depth_map, moved.reshape(-1, 2)).reshape(batch, 2, front)
    behind = points.nearness[front:].expand(batch, -1)
    return torch.cat([sampled[:, 0], behind, sampled[:, 1], behind], dim=1)


def animation_device(render_device: torch.device | str, shape: tuple[int, int]) -> torch.device:
    """The render device for images of GPU_MIN_SIDE pixels or more, else the CPU: below
    that the transfers cost more than the splatting saves."""
    if min(shape) >= GPU_MIN_SIDE:
        return torch.device(render_device)
    return torch.device("cpu")


def resolve_camera(configured: str | None, suggested: str, depth: np.ndarray | None) -> str:
    """The camera path: the configured one (which then needs depth), else the hazard's
    suggestion when depth is there, else none."""
    if configured is not None:
        check_path(configured)
        if configured != "none" and depth is None:
            raise ValueError(f"camera path {configured!r} needs a depth map, got depth=None")
        return configured
    check_path(suggested)
    return suggested if depth is not None else "none"


def check_inputs(image: np.ndarray, mask: np.ndarray, depth: np.ndarray | None) -> None:
    """Raise ValueError naming the bad value unless image, mask and depth fit the contract."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
        raise ValueError(f"mask must be bool {image.shape[:2]}, got {mask.dtype} {mask.shape}")
    if depth is None:
        return
    if depth.shape != mask.shape or not np.issubdtype(depth.dtype, np.floating):
        raise ValueError(f"depth must be float {mask.shape}, got {depth.dtype} {depth.shape}")
    if not np.all(np.isfinite(depth)) or depth.min() < 0.0 or depth.max() > 1.0:
        raise ValueError(
            f"depth must be finite within [0, 1], got range [{depth.min()!r}, {depth.max()!r}]"
        )
