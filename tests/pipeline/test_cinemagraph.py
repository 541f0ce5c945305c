"""The cinemagraph stage: motion only inside the mask, in the spec's direction, looping."""

from __future__ import annotations

import numpy as np
import pytest

from cap.taxonomy import MotionSpec, load_taxonomy
from pipeline.cinemagraph import CinemagraphConfig, animate_cinemagraph
from pipeline.motion import euler_trajectories, motion_field
from pipeline.warp import sample_bilinear, to_uint8

SIZE = 128


def textured_image(seed: int = 0) -> np.ndarray:
    """Smooth random texture (so sub-pixel motion shows), uint8 RGB."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, size=(17, 17, 3)).astype(np.float32)
    axis = np.linspace(0, 16, SIZE, dtype=np.float32)
    positions = np.stack(np.meshgrid(axis, axis), axis=-1)
    return to_uint8(sample_bilinear(coarse, positions))


def water_mask() -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[60:120, 8:120] = True
    return mask


def step_sizes(frames: list[np.ndarray]) -> np.ndarray:
    """Mean absolute change from each frame to the next, wrapping from last to first."""
    return np.array(
        [
            np.abs(frames[(i + 1) % len(frames)].astype(np.float64) - frames[i]).mean()
            for i in range(len(frames))
        ]
    )


@pytest.mark.parametrize("hazard", ["flood", "wildfire", "heavy_snow"])
def test_loop_closes_smoothly(hazard: str) -> None:
    motion = load_taxonomy().get(hazard).motion
    config = CinemagraphConfig(frames=16)
    frames = animate_cinemagraph(
        textured_image(), water_mask(), motion, config, np.random.default_rng(0)
    )
    assert len(frames) == 16
    steps = step_sizes(frames)
    seam, inner = steps[-1], steps[:-1]
    assert inner.min() > 0.05  # it really moves
    # The jump from the last frame back to the first is no bigger than an ordinary step.
    # (Symmetric blending makes it mirror the first step; middle frames are blends of two
    # warps and change less, so compare with the largest step, not the median.)
    assert seam <= 1.1 * inner.max()


def test_a_naive_forward_loop_would_not_close() -> None:
    # Guard for the test above: the plain forward-warped sequence has a large seam, so
    # the seam check can tell a symmetric loop from a naive one.
    motion = load_taxonomy().get("flood").motion
    field = motion_field(water_mask(), motion, np.random.default_rng(0))
    source = textured_image().astype(np.float32)
    naive = [to_uint8(sample_bilinear(source, p)) for p in euler_trajectories(field, 15, -1.0)]
    steps = step_sizes(naive)
    assert steps[-1] > 3 * steps[:-1].max()


def test_motion_is_zero_outside_the_mask() -> None:
    image, mask = textured_image(), water_mask()
    spec = load_taxonomy().get("typhoon").motion
    frames = animate_cinemagraph(image, mask, spec, CinemagraphConfig(), np.random.default_rng(1))
    for frame in frames:
        assert np.array_equal(frame[~mask], image[~mask])
    assert any(not np.array_equal(frame[mask], image[mask]) for frame in frames)


@pytest.mark.parametrize(("direction", "unit"), [(0.0, (1, 0)), (90.0, (0, 1)), (180.0, (-1, 0))])
def test_content_moves_in_the_spec_direction(direction: float, unit: tuple[int, int]) -> None:
    # A bright blob in the middle of a fully moving image; speed 8 at 512 px = 2 px/frame.
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    blob = 255.0 * np.exp(-((xs - 64.0) ** 2 + (ys - 64.0) ** 2) / (2 * 3.0**2))
    image = np.repeat(to_uint8(blob)[..., None], 3, axis=2)
    spec = MotionSpec(direction_deg=direction, speed=8.0, turbulence=0.0, camera="none")
    frames = animate_cinemagraph(
        image,
        np.ones((SIZE, SIZE), dtype=bool),
        spec,
        CinemagraphConfig(frames=16),
        np.random.default_rng(0),
    )
    for t in (1, 2, 3):
        # Early frames are mostly the forward-flowed image: the peak sits t * 2 px along.
        peak_y, peak_x = np.unravel_index(np.argmax(frames[t][..., 0]), (SIZE, SIZE))
        assert (peak_x - 64, peak_y - 64) == (2 * t * unit[0], 2 * t * unit[1])


def test_same_seed_same_frames_and_turbulence_uses_the_seed() -> None:
    spec = load_taxonomy().get("storm").motion
    run = [
        animate_cinemagraph(
            textured_image(),
            water_mask(),
            spec,
            CinemagraphConfig(frames=6),
            np.random.default_rng(seed),
        )
        for seed in (5, 5, 6)
    ]
    assert all(np.array_equal(a, b) for a, b in zip(run[0], run[1], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(run[0], run[2], strict=True))


def test_camera_move_needs_depth_and_adds_parallax() -> None:
    image, mask = textured_image(), water_mask()
    spec = MotionSpec(direction_deg=0.0, speed=2.0, turbulence=0.0, camera="circular")
    depth = np.zeros((SIZE, SIZE), dtype=np.float32)
    depth[:, 64:] = 1.0  # right half near, left half far
    # Explicit move without depth: an error. Hazard's suggestion without depth: no move.
    with pytest.raises(ValueError, match="needs a depth map"):
        animate_cinemagraph(
            image, mask, spec, CinemagraphConfig(camera="up-down"), np.random.default_rng(0)
        )
    still_background = animate_cinemagraph(
        image, mask, spec, CinemagraphConfig(), np.random.default_rng(0)
    )
    moving = animate_cinemagraph(
        image, mask, spec, CinemagraphConfig(), np.random.default_rng(0), depth=depth
    )
    outside_far = ~mask
    outside_far[:, 64:] = False
    outside_near = ~mask
    outside_near[:, :58] = False  # keep clear of the depth edge
    for t, (plain, moved) in enumerate(zip(still_background, moving, strict=True)):
        assert np.array_equal(plain[~mask], image[~mask])
        assert np.array_equal(moved[outside_far], image[outside_far])  # far: no parallax
        if t > 0:
            assert not np.array_equal(moved[outside_near], image[outside_near])
    assert np.array_equal(moving[0], still_background[0])  # the move starts at rest
    steps = step_sizes(moving)
    assert steps[-1] <= 1.1 * steps[:-1].max()  # still loops


def test_bad_inputs_are_rejected() -> None:
    image, mask = textured_image(), water_mask()
    spec = load_taxonomy().get("flood").motion
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="mask must be bool"):
        animate_cinemagraph(image, mask[:-1], spec, CinemagraphConfig(), rng)
    with pytest.raises(ValueError, match="image must be uint8"):
        animate_cinemagraph(image[..., 0], mask, spec, CinemagraphConfig(), rng)
    with pytest.raises(ValueError, match="depth"):
        animate_cinemagraph(
            image, mask, spec, CinemagraphConfig(), rng, depth=np.ones((4, 4), dtype=np.float32)
        )
    with pytest.raises(ValueError, match="at least 2 frames"):
        CinemagraphConfig(frames=1)
    with pytest.raises(ValueError, match="fps"):
        CinemagraphConfig(fps=0.0)
    with pytest.raises(ValueError, match="camera"):
        CinemagraphConfig(camera="zoom")


@pytest.mark.parametrize("hazard", load_taxonomy().renderable)
def test_every_hazard_animates_within_its_mask_and_loops(hazard: str) -> None:
    image, mask = textured_image(seed=2), water_mask()
    depth = np.tile(np.linspace(0.0, 1.0, SIZE, dtype=np.float32)[:, None], (1, SIZE))
    frames = animate_cinemagraph(
        image,
        mask,
        load_taxonomy().get(hazard).motion,
        CinemagraphConfig(frames=12),
        np.random.default_rng(0),
        depth=depth,
    )
    assert len(frames) == 12
    assert all(f.shape == image.shape and f.dtype == np.uint8 for f in frames)
    steps = step_sizes(frames)
    assert steps[:-1].max() > 0
    assert steps[-1] <= 1.1 * steps[:-1].max()
    if load_taxonomy().get(hazard).motion.camera == "none":
        for frame in frames:
            assert np.array_equal(frame[~mask], image[~mask])
