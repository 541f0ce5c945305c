"""Forward splatting, Euler paths and the pull-push fill, on hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.hole_fill import fill_holes, pull_push
from pipeline.splat import euler_paths, softmax_splat


def test_a_point_spreads_bilinearly_and_keeps_its_colour() -> None:
    positions = torch.tensor([[[1.25, 2.5]]])
    image, coverage = softmax_splat(
        positions,
        torch.tensor([[10.0, 20.0, 30.0]]),
        torch.tensor([0.5]),
        torch.tensor([1.0]),
        (4, 4),
    )
    expected = np.zeros((4, 4))
    expected[2, 1], expected[2, 2], expected[3, 1], expected[3, 2] = 0.375, 0.125, 0.375, 0.125
    np.testing.assert_allclose(coverage[0].numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(image[0, 2, 1].numpy(), [10.0, 20.0, 30.0], rtol=1e-5)
    assert float(image[0, 0, 0].abs().sum()) == 0.0  # nothing landed: empty, not smeared


def test_the_nearer_point_wins_a_shared_pixel() -> None:
    positions = torch.tensor([[[1.0, 1.0], [1.0, 1.0]]])
    colors = torch.tensor([[255.0, 0.0, 0.0], [0.0, 0.0, 255.0]])
    image, coverage = softmax_splat(
        positions, colors, torch.tensor([0.9, 0.5]), torch.tensor([1.0, 1.0]), (3, 3)
    )
    red, _, blue = image[0, 1, 1].tolist()
    assert red > 250.0 and blue < 5.0
    assert float(coverage[0, 1, 1]) == pytest.approx(2.0)


def test_points_outside_the_frame_are_dropped() -> None:
    positions = torch.tensor([[[-3.0, 1.0], [1.0, 9.0]]])
    _, coverage = softmax_splat(
        positions, torch.ones(2, 3), torch.tensor([0.5, 0.5]), torch.ones(2), (3, 3)
    )
    assert float(coverage.sum()) == 0.0


def test_euler_paths_follow_the_field_and_stop_where_it_ends() -> None:
    field = torch.zeros(8, 16, 2)
    field[:, :8, 0] = 1.0  # one pixel per step rightwards in the left half only
    paths = euler_paths(field, 6, 1.0)
    assert paths.shape == (7, 8 * 16, 2)
    start = 3 * 16 + 2  # pixel (x=2, y=3)
    xs = paths[:, start, 0].tolist()
    assert xs[:5] == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert xs[-1] < 9.0  # leaves the moving half and slows to a stop
    backward = euler_paths(field, 2, -1.0)
    assert backward[2, start, 0].item() == pytest.approx(0.0)


def test_pull_push_fills_holes_from_their_surroundings_only() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    image[:, :16] = (200, 40, 40)
    image[:, 16:] = (40, 40, 200)
    hole = np.zeros((32, 32), bool)
    hole[10:20, 4:10] = True
    filled = fill_holes(np.where(hole[..., None], 0, image).astype(np.uint8), hole)
    assert np.array_equal(filled[~hole], image[~hole])
    assert np.abs(filled[hole].astype(int) - (200, 40, 40)).max() <= 25
    weight = torch.zeros(1, 1, 4, 4)
    assert float(pull_push(torch.ones(1, 3, 4, 4), weight).abs().sum()) == 0.0
