"""The depth-driven camera move."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.camera import (
    CAMERA_AMPLITUDE_FRACTION,
    camera_offset,
    check_depth,
    parallax_positions,
)
from pipeline.warp import pixel_grid


@pytest.mark.parametrize("move", ["circular", "up-down", "none"])
def test_moves_start_and_end_at_rest(move: str) -> None:
    assert camera_offset(move, 0, 16, 512) == (0.0, 0.0)
    end = camera_offset(move, 16, 16, 512)
    assert end == pytest.approx((0.0, 0.0), abs=1e-9)


def test_circular_traces_a_circle_and_up_down_stays_vertical() -> None:
    amplitude = CAMERA_AMPLITUDE_FRACTION * 400
    centre = np.array([-amplitude, 0.0])
    for frame in range(12):
        dx, dy = camera_offset("circular", frame, 12, 400)
        assert np.hypot(dx - centre[0], dy - centre[1]) == pytest.approx(amplitude)
        ux, uy = camera_offset("up-down", frame, 12, 400)
        assert ux == 0.0 and abs(uy) <= amplitude + 1e-9
    assert camera_offset("up-down", 3, 12, 400)[1] == pytest.approx(amplitude)


def test_parallax_moves_near_pixels_more() -> None:
    grid = pixel_grid(4, 4)
    depth = np.zeros((4, 4), dtype=np.float32)
    depth[:, 2:] = 1.0
    positions = parallax_positions(grid, depth, (2.0, -1.0))
    np.testing.assert_allclose(positions[:, :2], grid[:, :2])  # far: still
    np.testing.assert_allclose(positions[:, 2:], grid[:, 2:] - [2.0, -1.0])  # near: full


def test_bad_move_and_depth_are_rejected() -> None:
    with pytest.raises(ValueError, match="spiral"):
        camera_offset("spiral", 0, 8, 64)
    with pytest.raises(ValueError, match="within"):
        check_depth(np.full((4, 4), 1.5, dtype=np.float32), (4, 4))
    with pytest.raises(ValueError, match="float"):
        check_depth(np.zeros((4, 5), dtype=np.float32), (4, 4))
