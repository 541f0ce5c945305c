"""The Eulerian motion field of a scene: a per-pixel velocity read from the picture itself.

Second paper (3D Cinemagraphy, Li et al. 2023) predicts a constant-in-time flow field
from the image with an image-to-image network (Holynski et al. 2021). Without such
weights the default here derives the field from the picture's own geometry: the moving
region's shape (its local long axis), the depth map (downhill, perspective) and the
hazard's motion kind, with the taxonomy's `MotionSpec` as the prior for speed, the
dominant tendency and turbulence. `pipeline.learned_flow` is the learned alternative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cap.taxonomy import MotionSpec
from pipeline.region_shape import box_mean, edge_profile, height_in_region, local_axis, smooth_noise

# MotionSpec.speed is in pixels per frame for a 512 px wide image.
REFERENCE_WIDTH = 512
# turbulence = 1 bends the flow by up to this many degrees either way.
MAX_TURBULENCE_DEG = 45.0
# Speed ramps from 0 at the mask edge to full over this share of the smaller image side:
# water slows toward its banks and the moving region never tears from the still one.
EDGE_FRACTION = 0.06
# Far things move fewer pixels than near ones: speed x (FAR_SPEED + (1 - FAR_SPEED) * depth).
FAR_SPEED = 0.4

# What kind of motion each hazard's moving element has. Hazards not listed take a kind
# from their prior direction (`kind_from_direction`).
MOTION_KINDS = ("flow", "slide", "rise", "fall", "drift", "wave", "shimmer")
HAZARD_KINDS = {
    "flood": "flow",
    "landslide": "slide",
    "wildfire": "rise",
    "fire": "rise",
    "heat": "shimmer",
    "drought": "shimmer",
    "earthquake": "shimmer",
    "heavy_snow": "fall",
    "heavy_rain": "fall",
    "cold": "drift",
    "storm": "drift",
    "typhoon": "drift",
    "tornado": "drift",
    "tsunami": "wave",
}


@dataclass(frozen=True)
class FlowPrior:
    """The hazard's motion as a prior: kind, dominant direction, speed and turbulence."""

    kind: str
    direction_deg: float
    speed: float  # pixels per frame at REFERENCE_WIDTH
    turbulence: float  # 0..1

    def __post_init__(self) -> None:
        if self.kind not in MOTION_KINDS:
            raise ValueError(f"motion kind must be one of {MOTION_KINDS}, got {self.kind!r}")
        if not 0.0 <= self.turbulence <= 1.0:
            raise ValueError(f"motion turbulence must be within [0, 1], got {self.turbulence!r}")
        if self.speed < 0 or not math.isfinite(self.speed):
            raise ValueError(f"motion speed must be finite and >= 0, got {self.speed!r}")


def kind_from_direction(direction_deg: float) -> str:
    """Upwards motion rises, downwards falls, anything else flows."""
    angle = direction_deg % 360.0
    if 225.0 <= angle <= 315.0:
        return "rise"
    if 45.0 <= angle <= 135.0:
        return "fall"
    return "flow"


def motion_prior(hazard: str, motion: MotionSpec) -> FlowPrior:
    """The prior of ``hazard``: its kind (`HAZARD_KINDS`) and the taxonomy's numbers."""
    kind = HAZARD_KINDS.get(hazard, kind_from_direction(motion.direction_deg))
    return FlowPrior(kind, motion.direction_deg, motion.speed, motion.turbulence)


def scene_flow(
    mask: np.ndarray,
    prior: FlowPrior,
    rng: np.random.Generator,
    depth: np.ndarray | None = None,
) -> np.ndarray:
    """Float32 (H, W, 2) velocity (dx, dy) in pixels per frame, zero outside ``mask``.

    ``depth`` (float (H, W) in [0, 1], larger = nearer) adds the downhill tendency and
    perspective (far water moves fewer pixels); without it the region's shape and the
    prior decide alone. Deterministic for a given ``rng`` state.
    """
    if mask.dtype != np.bool_ or mask.ndim != 2:
        raise ValueError(f"mask must be bool (H, W), got {mask.dtype} {mask.shape}")
    if depth is not None and depth.shape != mask.shape:
        raise ValueError(f"depth must have the mask's shape {mask.shape}, got {depth.shape}")
    height, width = mask.shape
    # The noises are always drawn, so the generator advances the same way for every kind.
    noise_a = smooth_noise(height, width, 4, rng)
    noise_b = smooth_noise(height, width, 8, rng)
    if not mask.any():
        return np.zeros((height, width, 2), dtype=np.float32)
    speed = prior.speed * width / REFERENCE_WIDTH
    prior_vector = np.array(
        [math.cos(math.radians(prior.direction_deg)), math.sin(math.radians(prior.direction_deg))],
        dtype=np.float32,
    )
    downhill = _downhill(depth, mask)
    direction, magnitude = _KIND_FIELDS[prior.kind](
        mask, prior, prior_vector, downhill, noise_a, noise_b
    )
    edge = edge_profile(mask, max(1, round(EDGE_FRACTION * min(height, width))))
    perspective = 1.0 if depth is None else FAR_SPEED + (1.0 - FAR_SPEED) * depth
    field = direction * (speed * magnitude * edge * perspective)[..., None]
    return np.where(mask[..., None], field, 0.0).astype(np.float32)


def _rotate(vectors: np.ndarray, angle: np.ndarray) -> np.ndarray:
    cos, sin = np.cos(angle), np.sin(angle)
    x, y = vectors[..., 0], vectors[..., 1]
    return np.stack([x * cos - y * sin, x * sin + y * cos], axis=-1)


def _unit(vectors: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(length, 1e-6)
    return unit


def _downhill(depth: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
    """Unit (2,) image direction in which the region comes nearer (zero without depth).

    Loose material and water run down a slope, and down a slope seen from its foot is
    toward the viewer: the mean depth gradient over the region, heavily smoothed.
    """
    if depth is None:
        return np.zeros(2, dtype=np.float32)
    smooth = box_mean(depth.astype(np.float32), max(2, min(mask.shape) // 16))
    gy, gx = np.gradient(smooth)
    vector = np.array([gx[mask].mean(), gy[mask].mean()], dtype=np.float32)
    # Below ~0.05 depth units across the region there is no slope worth following.
    if np.linalg.norm(vector) * min(mask.shape) < 0.05:
        return np.zeros(2, dtype=np.float32)
    return _unit(vector)


def _water(  # noqa: PLR0917 - one signature for every kind
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Along the region's local long axis, oriented downhill (or by the prior), bent by
    turbulence; a touch of spreading toward the banks."""
    axis, coherence = local_axis(mask, max(4, min(mask.shape) // 6))
    reference = downhill + 0.5 * prior_vector if downhill.any() else prior_vector
    # One orientation for the whole region: a river does not flow both ways at once.
    sign = np.sign((axis[mask] @ reference).sum()) or 1.0
    along = axis * sign
    # Where the region is blob-like (low coherence) the axis says little: lean on the
    # reference direction instead. A 2:1 elongation (coherence 0.6) already counts fully.
    trust = np.clip(2.0 * coherence, 0.0, 1.0)[..., None]
    direction = _unit(along * trust + reference * (1.0 - trust))
    direction = _rotate(direction, np.radians(prior.turbulence * MAX_TURBULENCE_DEG * noise_a))
    return direction, 1.0 + 0.25 * prior.turbulence * noise_b


def _slide(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Debris goes downhill (the prior's direction where depth shows no slope)."""
    reference = _unit(downhill + prior_vector) if downhill.any() else prior_vector
    direction = np.broadcast_to(reference, (*mask.shape, 2))
    direction = _rotate(direction, np.radians(prior.turbulence * MAX_TURBULENCE_DEG * noise_a))
    return direction, 1.0 + 0.3 * prior.turbulence * noise_b


def _rise(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Flames and smoke rise and speed up; their sideways sway grows with height."""
    height = height_in_region(mask)
    sway = prior.turbulence * (0.3 + 1.2 * height) * noise_a
    direction = np.stack([sway + prior_vector[0], np.full_like(sway, prior_vector[1])], axis=-1)
    return _unit(direction), (0.6 + 0.8 * height) * (1.0 + 0.3 * prior.turbulence * noise_b)


def _fall(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Snow and rain fall along the prior with a slight, slowly varying wind."""
    wind = 0.25 * prior.turbulence * noise_a
    direction = _unit(prior_vector + np.stack([wind, np.zeros_like(wind)], axis=-1))
    return direction, 1.0 + 0.2 * noise_b


def _drift(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Clouds drift roughly horizontally (the prior's side), slowly, churning a little."""
    side = 1.0 if prior_vector[0] >= 0 else -1.0
    base = _unit(np.array([side, 0.3 * prior_vector[1]], dtype=np.float32))
    direction = np.broadcast_to(base, (*mask.shape, 2))
    direction = _rotate(
        direction, np.radians(0.5 * prior.turbulence * MAX_TURBULENCE_DEG * noise_a)
    )
    return direction, 0.5 * (1.0 + 0.4 * prior.turbulence * noise_b)


def _wave(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bands that alternately push forward and back along the prior: a constant field
    whose symmetric loop reads as water heaving to and fro."""
    height, width = mask.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    along = (xs * prior_vector[0] + ys * prior_vector[1]) / max(height, width)
    bands = np.sin(2.0 * math.pi * (6.0 * along + 0.3 * noise_a))
    direction = np.broadcast_to(prior_vector, (*mask.shape, 2)) * np.sign(bands)[..., None]
    return direction, np.abs(bands) * (1.0 + 0.2 * prior.turbulence * noise_b)


def _shimmer(  # noqa: PLR0917
    mask: np.ndarray,
    prior: FlowPrior,
    prior_vector: np.ndarray,
    downhill: np.ndarray,
    noise_a: np.ndarray,
    noise_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Heat haze: small motions in smoothly varying directions, no net flow."""
    direction = _unit(np.stack([noise_a, noise_b], axis=-1) + 1e-3)
    return direction, np.clip(1.5 * np.hypot(noise_a, noise_b), 0.0, 1.0)


_KIND_FIELDS = {
    "flow": _water,
    "slide": _slide,
    "rise": _rise,
    "fall": _fall,
    "drift": _drift,
    "wave": _wave,
    "shimmer": _shimmer,
}
