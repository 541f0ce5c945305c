"""Bilinear backward warping."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.warp import pixel_grid, sample_bilinear, to_uint8


def test_identity_positions_return_the_values() -> None:
    values = np.random.default_rng(0).uniform(0, 255, size=(9, 13, 3)).astype(np.float32)
    np.testing.assert_allclose(sample_bilinear(values, pixel_grid(9, 13)), values, atol=1e-4)


def test_bilinear_weights_and_edge_clamping() -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4, 1)  # value = 4 * y + x
    positions = np.array(
        [[[1.5, 0.0], [0.5, 0.5], [2.25, 1.75], [10.0, -5.0], [-3.0, 9.0]]], dtype=np.float32
    )
    sampled = sample_bilinear(values, positions)[..., 0]
    np.testing.assert_allclose(sampled, [[1.5, 2.5, 9.25, 3.0, 8.0]], atol=1e-5)


def test_integer_shift_moves_content() -> None:
    values = np.random.default_rng(1).uniform(size=(6, 8, 2)).astype(np.float32)
    positions = pixel_grid(6, 8) - np.array([2.0, 1.0], dtype=np.float32)
    shifted = sample_bilinear(values, positions)
    # Backward warp with p - (2, 1): content moves right by 2 and down by 1.
    np.testing.assert_allclose(shifted[1:, 2:], values[:-1, :-2], atol=1e-5)


def test_batched_positions_keep_their_leading_shape() -> None:
    values = np.ones((4, 5, 3), dtype=np.float32)
    positions = np.stack([pixel_grid(4, 5)] * 3)
    assert sample_bilinear(values, positions).shape == (3, 4, 5, 3)


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        sample_bilinear(np.zeros((4, 5)), pixel_grid(4, 5))
    with pytest.raises(ValueError, match="positions"):
        sample_bilinear(np.zeros((4, 5, 1)), np.zeros((4, 5, 3)))


def test_to_uint8_rounds_and_clips() -> None:
    out = to_uint8(np.array([-3.0, 0.4, 0.6, 254.5, 300.0], dtype=np.float32))
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 0, 1, 254, 255]
