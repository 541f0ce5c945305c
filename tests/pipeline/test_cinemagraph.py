"""The cinemagraph stage: only the mask moves, the loop closes, the camera has parallax
and occlusion, and disocclusions show the background layer, never a hole."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.camera import overscan
from pipeline.cinemagraph import CinemagraphConfig, animate_cinemagraph, resolve_camera
from pipeline.motion import FlowPrior

SIZE = 96
WATER = FlowPrior(kind="flow", direction_deg=0.0, speed=8.0, turbulence=0.3)
FAR_COLOUR = np.array([40, 90, 200])
NEAR_COLOUR = np.array([230, 30, 30])


def textured_image(seed: int = 0, size: int = SIZE) -> np.ndarray:
    """Smooth random texture (so sub-pixel motion shows), uint8 RGB."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, size=(13, 13, 3))
    index = np.linspace(0, 12, size)
    low = np.floor(index).astype(int).clip(0, 11)
    frac = (index - low)[:, None]
    rows = coarse[low] * (1 - frac[..., None]) + coarse[low + 1] * frac[..., None]
    cols = rows[:, low] * (1 - frac.T[..., None]) + rows[:, low + 1] * frac.T[..., None]
    return np.clip(np.rint(cols), 0, 255).astype(np.uint8)


def water_mask() -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[40:80, 6:90] = True
    return mask


def step_sizes(frames: list[np.ndarray]) -> np.ndarray:
    """Mean absolute change from each frame to the next, wrapping from last to first."""
    return np.array(
        [
            np.abs(frames[(i + 1) % len(frames)].astype(np.float64) - frames[i]).mean()
            for i in range(len(frames))
        ]
    )


def square_scene() -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """A red near square over a textured blue far plane, and its depth."""
    texture = textured_image(3).astype(np.int32) - 128
    image = np.clip(FAR_COLOUR + texture // 6, 0, 255).astype(np.uint8)
    square = (slice(34, 62), slice(34, 62))
    image[square] = NEAR_COLOUR
    depth = np.full((SIZE, SIZE), 0.1, np.float32)
    depth[square] = 0.95
    return image, depth, square


def patch_shift(frame: np.ndarray, image: np.ndarray, top: int, left: int) -> float:
    """How far (pixels, L1) a 16 px patch of the still at (top, left) moved in ``frame``:
    the integer shift within 6 px that matches best."""
    patch = image[top : top + 16, left : left + 16].astype(int)
    errors = {
        (dy, dx): np.abs(frame[top + dy : top + dy + 16, left + dx : left + dx + 16] - patch).mean()
        for dy in range(-6, 7)
        for dx in range(-6, 7)
    }
    dy, dx = min(errors, key=errors.__getitem__)
    return float(abs(dy) + abs(dx))


def red(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame.astype(int) - NEAR_COLOUR).sum(axis=-1) < 60


def test_only_the_mask_moves_and_it_moves_measurably() -> None:
    image, mask = textured_image(), water_mask()
    result = animate_cinemagraph(
        image, mask, WATER, CinemagraphConfig(frames=8), np.random.default_rng(0)
    )
    assert len(result.frames) == 8 and result.camera == "none" and result.hole_fill == "still"
    for frame in result.frames:
        assert frame.shape == image.shape and frame.dtype == np.uint8
        assert np.array_equal(frame[~mask], image[~mask])
    inside = np.mean([np.abs(f.astype(int) - image)[mask].mean() for f in result.frames])
    assert inside > 2.0


def test_the_loop_seam_is_no_larger_than_the_mean_step() -> None:
    result = animate_cinemagraph(
        textured_image(),
        water_mask(),
        WATER,
        CinemagraphConfig(frames=12),
        np.random.default_rng(0),
    )
    steps = step_sizes(result.frames)
    # The seam is an ordinary step (it equals the others up to measurement noise).
    assert steps[-1] <= 1.02 * steps.mean()
    assert steps.min() > 0.05  # every step moves: no frozen stretch, no repeated frame


def test_water_does_not_smear_the_image_border_in() -> None:
    # The mask reaches the left border: with backward warping the border column is
    # dragged in as streaks; forward splatting only moves what is in the picture.
    image = textured_image(1)
    image[:, 0] = (255, 0, 255)
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[30:70, 0:60] = True
    result = animate_cinemagraph(
        image, mask, WATER, CinemagraphConfig(frames=8), np.random.default_rng(0)
    )
    magenta = np.array([255, 0, 255])
    for frame in result.frames:
        near_magenta = np.abs(frame[30:70, 3:60].astype(int) - magenta).sum(axis=-1) < 90
        assert near_magenta.sum() < 10


def test_same_seed_same_frames() -> None:
    image, mask = textured_image(), water_mask()

    def run(seed: int) -> list[np.ndarray]:
        config = CinemagraphConfig(frames=4)
        return animate_cinemagraph(image, mask, WATER, config, np.random.default_rng(seed)).frames

    assert all(np.array_equal(a, b) for a, b in zip(run(1), run(1), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(run(1), run(2), strict=True))


@pytest.mark.parametrize("path", ["circular", "up-down", "zoom"])
def test_near_square_moves_more_than_the_far_plane_and_occludes_it(path: str) -> None:
    image, depth, _ = square_scene()
    mask = np.zeros((SIZE, SIZE), dtype=bool)  # camera only: nothing flows
    config = CinemagraphConfig(frames=8, camera=path, camera_amplitude=0.06)
    result = animate_cinemagraph(image, mask, WATER, config, np.random.default_rng(0), depth)
    assert result.camera == path and result.background_pixels > 0
    # The frame is magnified (overscan) so the moving camera never sees past the border.
    square_area = red(image).sum() * overscan(path, 0.06, (SIZE, SIZE)) ** 2
    moved_square = moved_plane = 0.0
    first = result.frames[0]
    ys0, xs0 = np.nonzero(red(first))
    for t, frame in enumerate(result.frames):
        covered = red(frame)
        # The square stays whole (it occludes, it does not shrink under the far plane);
        # the zoom path dollies in, so there it grows (checked below).
        if path != "zoom":
            assert abs(int(covered.sum()) - square_area) <= 0.1 * square_area, t
        # Motion between frames (all share the overscan magnification): the square's
        # centre against the far plane's texture in a patch above it.
        ys, xs = np.nonzero(covered)
        shift = abs(ys.mean() - ys0.mean()) + abs(xs.mean() - xs0.mean())
        moved_square = max(moved_square, shift)
        moved_plane = max(moved_plane, patch_shift(frame, first, 10, 40))
        # Disoccluded pixels (red in the still, not now) show the far plane: no hole, no
        # grey gap, no red stretched into it.
        opened = red(image) & ~covered
        if opened.any():
            colour_error = np.abs(frame[opened].astype(int) - FAR_COLOUR).sum(axis=-1)
            assert np.median(colour_error) < 80, t
    if path == "zoom":
        assert moved_square < 2.0  # a centred square grows about its centre
        assert max(red(f).sum() for f in result.frames) > 1.15 * square_area
    else:
        assert moved_square > 3.0
        assert moved_plane < 0.5 * moved_square
    assert result.hole_fraction < 0.05


def test_the_inpainter_paints_the_background_layer() -> None:
    image, depth, _ = square_scene()
    painted: list[int] = []

    def paint_green(picture: np.ndarray, hole: np.ndarray) -> np.ndarray:
        painted.append(int(hole.sum()))
        return np.where(hole[..., None], np.array([0, 255, 0], np.uint8), picture)

    config = CinemagraphConfig(frames=4, camera="circular", camera_amplitude=0.06)
    result = animate_cinemagraph(
        image,
        np.zeros((SIZE, SIZE), bool),
        WATER,
        config,
        np.random.default_rng(0),
        depth,
        fill=paint_green,
    )
    assert result.hole_fill == "inpaint" and len(painted) == 1  # once per render
    green = np.array([0, 255, 0])
    opened = [red(image) & ~red(f) for f in result.frames]
    shown = np.concatenate([f[o] for f, o in zip(result.frames, opened, strict=True)])
    assert len(shown) > 0 and np.median(np.abs(shown.astype(int) - green).sum(axis=-1)) < 60


def test_camera_needs_depth_and_a_suggestion_needs_it_too() -> None:
    assert resolve_camera(None, "circular", None) == "none"
    assert resolve_camera(None, "circular", np.zeros((2, 2), np.float32)) == "circular"
    with pytest.raises(ValueError, match="needs a depth map"):
        resolve_camera("up-down", "none", None)


def test_bad_inputs_are_rejected() -> None:
    image, mask = textured_image(), water_mask()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="image must be uint8"):
        animate_cinemagraph(image.astype(np.float32), mask, WATER, CinemagraphConfig(), rng)
    with pytest.raises(ValueError, match="mask must be bool"):
        animate_cinemagraph(image, mask[:10], WATER, CinemagraphConfig(), rng)
    with pytest.raises(ValueError, match="depth must be finite"):
        animate_cinemagraph(
            image, mask, WATER, CinemagraphConfig(), rng, np.full(mask.shape, 2.0, np.float32)
        )
    with pytest.raises(ValueError, match="at least 2 frames"):
        CinemagraphConfig(frames=1)
    with pytest.raises(ValueError, match="camera path"):
        CinemagraphConfig(camera="spiral")
    with pytest.raises(ValueError, match="camera_amplitude"):
        CinemagraphConfig(camera_amplitude=0.5)
