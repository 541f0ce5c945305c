"""Fire and heat pictograms: wildfire, fire, heat and drought."""

from __future__ import annotations

from pipeline.card.pictograms_canvas import (
    ERASE,
    Canvas,
    Point,
    coverage,
    fade,
    sine_path,
    swell,
    travel,
    turn,
    wave,
)
from pipeline.card.pictograms_shapes import building, conifer, flame, sun, thermometer


def _licks(phase: float, seed: float) -> tuple[float, float, float]:
    """Tip movements of one flame (see ``flame``): a slow sway once per loop with faster
    flicker on top. The frequencies are integers, so the loop closes, and mixed, so the
    flicker does not look mechanical."""
    sway = 0.18 * wave(phase, 1, seed) + 0.06 * wave(phase, 3, seed * 1.7)
    left_rise = 0.1 * wave(phase, 1, seed + 0.3) + 0.04 * wave(phase, 2, seed)
    right_rise = 0.1 * wave(phase, 1, seed + 0.75) + 0.04 * wave(phase, 3, seed)
    return sway, left_rise, right_rise


def _height(phase: float, seed: float) -> float:
    """Flame height factor: the fire flares up and dies down once per loop, flickering."""
    return (
        1
        + 0.1 * wave(phase, 1, seed)
        + 0.04 * wave(phase, 2, seed)
        + 0.03 * wave(phase, 3, seed * 1.3)
    )


def draw_wildfire(canvas: Canvas, phase: float) -> None:
    """Fir trees on a ridge with flames flickering among them and embers rising."""
    ground = 88.0
    canvas.rectangle((4, ground, 96, ground + 5))
    for centre_x, height in ((20, 44), (80, 50)):
        conifer(canvas, centre_x, ground, height)
    for centre_x, height, width, seed in ((50, 54, 34, 0.1), (28, 30, 20, 0.45), (72, 34, 22, 0.8)):
        flame(
            canvas,
            centre_x,
            ground - 1,
            height=height * _height(phase, seed),
            width=width,
            licks=_licks(phase, seed),
            gap=2.2,
        )
    for index in range(5):
        position = travel(phase, index / 5)
        strength = fade(position, 0.25)
        x = 30 + index * 10 + 4 * wave(phase, 1, index * 0.3)
        y = 44 - position * 36
        canvas.circle((x, y), 1.9 * strength, coverage(strength))


def draw_fire(canvas: Canvas, phase: float) -> None:
    """A building with flames bursting from its roof and at its side, smoke rolling away."""
    # Smoke first, so the flames sit in front of it.
    # Three puffs: with an even number the half-loop frame would repeat the first.
    for index in range(3):
        position = travel(phase, index / 3)
        strength = fade(position, 0.3)
        centre = (46 + position * 34, 34 - position * 26)
        canvas.circle(centre, 5 + 8 * position, coverage(0.45 * strength))
    building(canvas, (14, 52, 58, 92), 3, 3)
    flame(
        canvas, 36, 54, height=40 * _height(phase, 0.2), width=34, licks=_licks(phase, 0.2), gap=2.4
    )
    flame(
        canvas,
        72,
        92,
        height=44 * _height(phase, 0.65),
        width=26,
        licks=_licks(phase, 0.65),
        gap=2.4,
    )


def draw_heat(canvas: Canvas, phase: float) -> None:
    """A thermometer near the top of its scale under a blazing sun, air shimmering."""
    thermometer(canvas, 26, 12, 90, level=0.86 + 0.08 * wave(phase), tube=12)
    # One ray spacing of turn per loop is a full period for a sun with ten rays.
    sun(
        canvas,
        (70, 32),
        12,
        rays=10,
        ray_length=5 + 4 * swell(phase),
        angle=turn(phase, 1 / 10),
        ray_width=3.4,
    )
    for index, x in enumerate((56.0, 70.0, 84.0)):
        shimmer = sine_path(62, 94, x, amplitude=2.6, wavelength=14, shift=-phase + index * 0.2)
        canvas.stroke([(px, py) for py, px in shimmer], 3.0)


def draw_drought(canvas: Canvas, phase: float) -> None:
    """Dry ground split by cracks that open and close under a shimmering sun."""
    ground_top = 60.0
    canvas.rounded_rectangle((4, ground_top, 96, 94), 4)
    # The crack network: main fissures from the surface down and branches off them.
    opening = 1.6 + 1.6 * swell(phase)
    cracks: list[list[Point]] = [
        [(18, ground_top - 1), (22, 68), (17, 76), (24, 84), (20, 95)],
        [(50, ground_top - 1), (46, 70), (54, 78), (49, 95)],
        [(80, ground_top - 1), (84, 69), (77, 80), (83, 95)],
        [(22, 68), (34, 72), (46, 70)],
        [(54, 78), (66, 75), (77, 80)],
        [(17, 76), (4, 80)],
        [(84, 69), (97, 72)],
        [(34, 72), (36, 84), (30, 95)],
        [(66, 75), (64, 86), (70, 95)],
    ]
    for crack in cracks:
        canvas.stroke(crack, opening, ERASE)
    sun(
        canvas,
        (50, 24),
        11,
        rays=8,
        ray_length=4 + 3 * swell(phase, 1, 0.5),
        angle=turn(phase, 1 / 8),
        ray_width=3.2,
    )
    for index, x in enumerate((14.0, 86.0)):
        shimmer = sine_path(16, 52, x, amplitude=2.4, wavelength=14, shift=-phase + index * 0.5)
        canvas.stroke([(px, py) for py, px in shimmer], 2.8, coverage(0.8))
