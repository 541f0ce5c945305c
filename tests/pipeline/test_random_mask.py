"""The random part of the masked-sampling mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.random_mask import random_mask


@settings(max_examples=50, deadline=None)
@given(
    height=st.integers(min_value=1, max_value=64),
    width=st.integers(min_value=1, max_value=64),
    ratio=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_random_mask_covers_exactly_the_ratio(
    height: int, width: int, ratio: float, seed: int
) -> None:
    mask = random_mask(height, width, ratio, np.random.default_rng(seed))
    assert mask.dtype == np.bool_
    assert mask.shape == (height, width)
    assert int(mask.sum()) == round(ratio * height * width)


def test_default_fifteen_percent_of_a_512_image() -> None:
    mask = random_mask(512, 512, 0.15, np.random.default_rng(0))
    assert int(mask.sum()) == 39322  # round(0.15 * 262144)


def test_random_mask_is_seeded_and_spread_out() -> None:
    first = random_mask(64, 64, 0.15, np.random.default_rng(7))
    again = random_mask(64, 64, 0.15, np.random.default_rng(7))
    other = random_mask(64, 64, 0.15, np.random.default_rng(8))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    # Every quadrant gets some of the pixels: the draw is over the whole image.
    for rows in (slice(0, 32), slice(32, 64)):
        for cols in (slice(0, 32), slice(32, 64)):
            assert first[rows, cols].sum() > 0


@pytest.mark.parametrize(
    ("height", "width", "ratio"), [(0, 4, 0.1), (4, -1, 0.1), (4, 4, -0.01), (4, 4, 1.5)]
)
def test_random_mask_rejects_bad_input(height: int, width: int, ratio: float) -> None:
    with pytest.raises(ValueError, match=str(ratio) if height > 0 and width > 0 else "size"):
        random_mask(height, width, ratio, np.random.default_rng(0))


@settings(max_examples=50, deadline=None)
@given(
    height=st.integers(min_value=8, max_value=96),
    width=st.integers(min_value=8, max_value=96),
    ratio=st.floats(min_value=0.0, max_value=1.0),
    block=st.sampled_from([8, 16, 32]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_block_mask_is_on_the_grid_and_covers_the_ratio_within_one_block(
    height: int, width: int, ratio: float, block: int, seed: int
) -> None:
    mask = random_mask(height, width, ratio, np.random.default_rng(seed), block=block)
    assert mask.shape == (height, width)
    # Every block of the grid is all in or all out.
    for top in range(0, height, block):
        for left in range(0, width, block):
            cell = mask[top : top + block, left : left + block]
            assert cell.all() or not cell.any()
    assert abs(int(mask.sum()) - ratio * height * width) <= block * block


def test_default_blocks_of_a_512_image_cover_fifteen_percent() -> None:
    mask = random_mask(512, 512, 0.15, np.random.default_rng(0), block=16)
    assert int(mask.sum()) == 154 * 16 * 16  # round(0.15 * 1024 blocks)
    # On the 8-px latent grid the mask is whole cells: downsampling loses nothing.
    cells = mask.reshape(64, 8, 64, 8)
    assert np.array_equal(cells.all(axis=(1, 3)), cells.any(axis=(1, 3)))
