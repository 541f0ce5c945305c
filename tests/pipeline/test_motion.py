"""The Eulerian motion field and its Euler integration."""

from __future__ import annotations

import numpy as np
import pytest

from cap.taxonomy import MotionSpec, load_taxonomy
from pipeline.motion import (
    MAX_TURBULENCE_DEG,
    euler_trajectories,
    feather_weights,
    motion_field,
    smooth_noise,
)


def band_mask(height: int = 64, width: int = 96) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    mask[20:50, 10:80] = True
    return mask


@pytest.mark.parametrize("direction", [0.0, 90.0, 135.0, 270.0])
def test_direction_and_speed_without_turbulence(direction: float) -> None:
    mask = band_mask(width=256)
    spec = MotionSpec(direction_deg=direction, speed=4.0, turbulence=0.0, camera="none")
    field = motion_field(mask, spec, np.random.default_rng(0))
    assert field.shape == (64, 256, 2) and field.dtype == np.float32
    interior = field[30:40, 30:60].reshape(-1, 2)
    # speed 4 px/frame at 512 px is 2 px/frame at 256 px; image y points down.
    expected = 2.0 * np.array([np.cos(np.radians(direction)), np.sin(np.radians(direction))])
    np.testing.assert_allclose(interior, np.broadcast_to(expected, interior.shape), atol=1e-5)


def test_zero_outside_the_mask_and_feathered_at_its_border() -> None:
    mask = band_mask()
    flood = load_taxonomy().get("flood").motion
    field = motion_field(mask, flood, np.random.default_rng(0))
    speed = np.linalg.norm(field, axis=-1)
    assert np.all(speed[~mask] == 0)
    assert np.all(speed[mask] > 0)
    full_speed = flood.speed * 96 / 512
    # The border row moves slower than the interior, which moves at full speed.
    assert speed[20, 40] < 0.75 * full_speed
    assert speed[35, 45] == pytest.approx(full_speed, rel=1e-5)


def test_turbulence_bends_the_direction_smoothly_within_its_bound() -> None:
    mask = np.ones((64, 64), dtype=bool)
    spec = MotionSpec(direction_deg=0.0, speed=8.0, turbulence=0.5, camera="none")
    field = motion_field(mask, spec, np.random.default_rng(3))
    angles = np.degrees(np.arctan2(field[..., 1], field[..., 0]))
    assert np.abs(angles).max() <= 0.5 * MAX_TURBULENCE_DEG + 1e-3
    assert angles.std() > 1.0  # it does vary...
    assert np.abs(np.diff(angles, axis=1)).max() < 3.0  # ...but smoothly between neighbours
    again = motion_field(mask, spec, np.random.default_rng(3))
    other = motion_field(mask, spec, np.random.default_rng(4))
    assert np.array_equal(field, again)
    assert not np.array_equal(field, other)


def test_smooth_noise_range() -> None:
    noise = smooth_noise(40, 50, 4, np.random.default_rng(0))
    assert noise.shape == (40, 50)
    assert noise.min() >= -1.0 and noise.max() <= 1.0


def test_feather_weights_profile() -> None:
    mask = np.zeros((20, 20), dtype=bool)
    mask[5:15, :] = True
    weights = feather_weights(mask, 2)
    column = weights[:, 10]
    assert np.all(column[:5] == 0) and np.all(column[15:] == 0)
    assert column[5] == pytest.approx(3 / 5)  # 3 of 5 rows of the box are inside
    assert column[6] == pytest.approx(4 / 5)
    assert column[10] == pytest.approx(1.0)


def test_euler_steps_follow_a_constant_field() -> None:
    field = np.zeros((16, 16, 2), dtype=np.float32)
    field[..., 0] = 0.5
    field[..., 1] = 0.25
    backward = euler_trajectories(field, 4, sign=-1.0)
    forward = euler_trajectories(field, 4, sign=1.0)
    assert len(backward) == 5
    np.testing.assert_allclose(backward[4][8, 8], [8 - 2.0, 8 - 1.0], atol=1e-5)
    np.testing.assert_allclose(forward[4][8, 8], [8 + 2.0, 8 + 1.0], atol=1e-5)


def test_euler_steps_stop_where_the_field_is_zero() -> None:
    field = np.zeros((8, 32, 2), dtype=np.float32)
    field[:, :10, 0] = 1.0  # flow right, up to column 9
    path = euler_trajectories(field, 20, sign=1.0)
    # A particle starting at x = 3 stops once it reaches the still region at x = 10.
    assert path[20][4, 3, 0] == pytest.approx(10.0, abs=1e-4)
    assert path[20][4, 20, 0] == pytest.approx(20.0)


def test_bad_specs_are_rejected() -> None:
    mask = band_mask()
    with pytest.raises(ValueError, match="turbulence"):
        motion_field(mask, MotionSpec(0.0, 1.0, 1.5, "none"), np.random.default_rng(0))
    with pytest.raises(ValueError, match="speed"):
        motion_field(mask, MotionSpec(0.0, -1.0, 0.0, "none"), np.random.default_rng(0))
    with pytest.raises(ValueError, match="mask"):
        motion_field(
            mask.astype(np.uint8), MotionSpec(0.0, 1.0, 0.0, "none"), np.random.default_rng(0)
        )
    with pytest.raises(ValueError, match="steps"):
        euler_trajectories(np.zeros((4, 4, 2), dtype=np.float32), -1, sign=1.0)
