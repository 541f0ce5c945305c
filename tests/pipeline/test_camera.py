"""The 3D camera: looping paths, projection with parallax, overscan."""

from __future__ import annotations

import pytest
import torch

from pipeline.camera import (
    CAMERA_PATHS,
    camera_translation,
    metric_depth,
    overscan,
    project,
)


@pytest.mark.parametrize("path", CAMERA_PATHS)
def test_paths_are_periodic(path: str) -> None:
    first = camera_translation(path, 0, 12, 0.02)
    assert camera_translation(path, 12, 12, 0.02) == pytest.approx(first)
    if path != "none":
        assert any(abs(value) > 1e-3 for value in camera_translation(path, 3, 12, 0.02))


def test_up_down_moves_only_vertically_and_zoom_only_forward() -> None:
    for frame in range(8):
        x, _, z = camera_translation("up-down", frame, 8, 0.05)
        assert x == 0.0 and z == 0.0
        x, y, z = camera_translation("zoom", frame, 8, 0.05)
        assert x == 0.0 and y == 0.0 and z >= 0.0


def test_near_points_move_amplitude_times_width_and_far_ones_less() -> None:
    size = (60, 100)
    positions = torch.tensor([[20.0, 30.0], [20.0, 30.0]])
    depth = metric_depth(torch.tensor([1.0, 0.0]))
    moved = project(positions, depth, torch.tensor([[0.03, 0.0, 0.0]]), size)
    near_shift, far_shift = (moved[0, :, 0] - 20.0).tolist()
    assert near_shift == pytest.approx(-3.0, abs=1e-4)  # camera right: scene left
    assert far_shift == pytest.approx(-3.0 / depth[1].item(), abs=1e-4)
    identity = project(positions, depth, torch.zeros(1, 3), size)
    assert torch.allclose(identity[0], positions)


def test_zoom_magnifies_near_more_than_far() -> None:
    size = (50, 50)
    positions = torch.tensor([[44.0, 24.5], [44.0, 24.5]])
    depth = metric_depth(torch.tensor([1.0, 0.0]))
    moved = project(positions, depth, torch.tensor([[0.0, 0.0, 0.2]]), size)
    near, far = (moved[0, :, 0] - 24.5).tolist()
    assert near > far > 19.5


def test_overscan_covers_the_largest_shift() -> None:
    assert overscan("none", 0.05, (100, 200)) == 1.0
    # 200 px wide: the nearest point moves 10 px; half of (s - 1) * 100 px must cover it.
    assert (overscan("up-down", 0.05, (100, 200)) - 1.0) * 100 / 2 >= 10.0 - 1e-9
    with pytest.raises(ValueError, match="camera path"):
        camera_translation("spiral", 0, 4, 0.1)
