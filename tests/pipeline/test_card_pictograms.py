"""Animated hazard pictograms: one per taxonomy hazard, single-colour, looping, moving."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cap.taxonomy import load_taxonomy
from pipeline.card.pictograms import PICTOGRAM_HAZARDS, draw_pictogram

SIZE = 256
INK = (20, 60, 200)
STEPS = 16  # frames per loop the smoothness check assumes (the card uses 12 to 16)
HAZARDS = sorted(hazard.name for hazard in load_taxonomy().hazards)


def alpha(hazard: str, phase: float) -> np.ndarray:
    """Coverage of one frame, 0..1."""
    image = draw_pictogram(hazard, phase, SIZE, INK)
    return np.asarray(image, dtype=np.float64)[..., 3] / 255.0


def changed_fraction(first: np.ndarray, second: np.ndarray) -> float:
    """Share of pixels whose coverage changed by more than a quarter."""
    return float((np.abs(first - second) > 0.25).mean())


def mean_change(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first - second).mean())


def test_pictograms_cover_exactly_the_taxonomy_hazards() -> None:
    assert set(HAZARDS) == PICTOGRAM_HAZARDS
    assert "none" in PICTOGRAM_HAZARDS


@pytest.mark.parametrize("hazard", HAZARDS)
def test_frame_is_a_transparent_icon_in_the_ink_colour(hazard: str) -> None:
    image = draw_pictogram(hazard, 0.3, SIZE, INK)
    assert image.mode == "RGBA"
    assert image.size == (SIZE, SIZE)
    pixels = np.asarray(image)
    coverage = pixels[..., 3]
    inked = coverage > 128
    assert 0.08 <= inked.mean() <= 0.6, "an icon, neither blank nor a filled square"
    assert (coverage == 0).mean() >= 0.3, "the background is transparent"
    assert (pixels[coverage > 0][:, :3] == INK).all(), "one colour; only alpha varies"


@pytest.mark.parametrize("hazard", HAZARDS)
def test_loop_closes(hazard: str) -> None:
    first = draw_pictogram(hazard, 0.0, SIZE, INK)
    assert first.tobytes() == draw_pictogram(hazard, 1.0, SIZE, INK).tobytes()
    # Just before the end of the loop the picture is already (almost) the first frame.
    assert mean_change(alpha(hazard, 0.0), alpha(hazard, 1.0 - 1e-6)) < 1e-3


@pytest.mark.parametrize("hazard", HAZARDS)
def test_it_moves_and_moves_smoothly(hazard: str) -> None:
    frames = [alpha(hazard, step / STEPS) for step in range(STEPS)]
    half_loop = frames[STEPS // 2]
    assert changed_fraction(frames[0], half_loop) >= 0.02, "motion big enough to see"
    steps = [mean_change(frames[i], frames[(i + 1) % STEPS]) for i in range(STEPS)]
    assert min(steps) > 0, "every frame moves"
    # No jumps: neighbouring frames, the last and the first included, are closer than the
    # frames half a loop apart.
    assert max(steps) < mean_change(frames[0], half_loop)


def test_hazards_look_different_from_each_other() -> None:
    frames = {hazard: alpha(hazard, 0.0) for hazard in HAZARDS}
    for first, second in itertools.combinations(HAZARDS, 2):
        assert changed_fraction(frames[first], frames[second]) >= 0.1, (first, second)


@pytest.mark.parametrize("hazard", HAZARDS)
def test_drawing_is_deterministic(hazard: str) -> None:
    first = draw_pictogram(hazard, 0.37, SIZE, INK).tobytes()
    assert draw_pictogram(hazard, 0.37, SIZE, INK).tobytes() == first


def test_phase_wraps_around_the_loop() -> None:
    assert (
        draw_pictogram("flood", 1.25, 128, INK).tobytes()
        == draw_pictogram("flood", 0.25, 128, INK).tobytes()
    )


def test_other_sizes_and_inks() -> None:
    image = draw_pictogram("storm", 0.0, 97, (255, 255, 255))
    assert image.size == (97, 97)
    pixels = np.asarray(image)
    assert (pixels[pixels[..., 3] > 0][:, :3] == 255).all()


def test_unknown_hazard_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="volcano") as raised:
        draw_pictogram("volcano", 0.0, SIZE, INK)
    for hazard in HAZARDS:
        assert hazard in str(raised.value)


@pytest.mark.parametrize(("phase", "size"), [(float("nan"), 64), (0.0, 0)])
def test_bad_phase_or_size_is_refused(phase: float, size: int) -> None:
    with pytest.raises(ValueError):
        draw_pictogram("flood", phase, size, INK)
