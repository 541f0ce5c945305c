"""Linear in-between frames for the masked-sampling loop."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.interpolate import interpolate_loop


def solid(value: int, shape: tuple[int, int] = (4, 6)) -> np.ndarray:
    return np.full((*shape, 3), value, dtype=np.uint8)


@pytest.mark.parametrize(("count", "inbetweens"), [(1, 0), (1, 3), (5, 0), (5, 3), (3, 7)])
def test_frame_count(count: int, inbetweens: int) -> None:
    frames = [solid(10 * i) for i in range(count)]
    out = interpolate_loop(frames, inbetweens)
    assert len(out) == count * (inbetweens + 1)
    assert all(f.shape == (4, 6, 3) and f.dtype == np.uint8 for f in out)


def test_key_frames_kept_and_midpoints_are_averages() -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8) for _ in range(4)]
    out = interpolate_loop(frames, 1)
    for i, frame in enumerate(frames):
        assert np.array_equal(out[2 * i], frame)
        following = frames[(i + 1) % 4]
        expected = np.rint((frame.astype(np.float64) + following) / 2).astype(np.uint8)
        assert np.array_equal(out[2 * i + 1], expected)


def test_inbetweens_step_linearly_and_wrap_to_the_first_frame() -> None:
    out = interpolate_loop([solid(0), solid(200)], 3)
    values = [int(f[0, 0, 0]) for f in out]
    assert values == [0, 50, 100, 150, 200, 150, 100, 50]


def test_interpolate_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        interpolate_loop([], 2)
    with pytest.raises(ValueError, match="inbetweens"):
        interpolate_loop([solid(0)], -1)
    with pytest.raises(ValueError, match="shape"):
        interpolate_loop([solid(0), solid(0, (5, 6))], 1)
    with pytest.raises(ValueError, match="uint8"):
        interpolate_loop([solid(0).astype(np.float32)], 1)
