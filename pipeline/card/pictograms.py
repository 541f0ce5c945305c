"""Animated hazard pictograms for the alert card, drawn as vectors by this code.

``draw_pictogram(hazard, phase, size, ink)`` returns one frame of a looping animation:
a single-colour icon on a transparent background, with motion that reads as the hazard
(water rising, flames flickering, snow falling...). Every motion repeats a whole number
of times per loop, so phase 0 and phase 1 are the same frame and the loop has no seam.

The hazard names are those of ``cap/data/hazards.toml`` plus ``"none"`` (a generic
warning sign); they are spelled out here rather than read from the taxonomy so the card
does not depend on the CAP package, and ``tests/pipeline`` checks the two lists agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import Image

from pipeline.card.pictograms_canvas import (
    ERASE,
    Canvas,
    Point,
    coverage,
    swell,
    travel,
)
from pipeline.card.pictograms_fire import draw_drought, draw_fire, draw_heat, draw_wildfire
from pipeline.card.pictograms_ground import draw_earthquake, draw_landslide
from pipeline.card.pictograms_sky import draw_cold, draw_storm, draw_tornado, draw_typhoon
from pipeline.card.pictograms_water import (
    draw_flood,
    draw_heavy_rain,
    draw_heavy_snow,
    draw_tsunami,
)

RGB = tuple[int, int, int]


def _triangle(centre: Point, radius: float) -> list[Point]:
    """An upright equilateral triangle around ``centre``."""
    cx, cy = centre
    return [
        (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        for angle in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)
    ]


def draw_none(canvas: Canvas, phase: float) -> None:
    """A warning triangle with an exclamation mark, breathing gently, sending out a
    fading echo of its outline."""
    centre = (50.0, 56.0)
    echo = travel(phase)
    echo_triangle = _triangle(centre, 40 + 14 * echo)
    canvas.stroke([*echo_triangle, echo_triangle[0]], 3.0, coverage(0.7 * (1 - echo) ** 1.5))
    radius = 38 + 3 * swell(phase)
    triangle = _triangle(centre, radius)
    canvas.stroke([*triangle, triangle[0]], 9, ERASE)
    canvas.stroke([*triangle, triangle[0]], 7)
    canvas.polygon(triangle)
    scale = radius / 38
    canvas.polygon(
        [
            (50 - 4.2 * scale, 36 * scale + 56 * (1 - scale)),
            (50 + 4.2 * scale, 36 * scale + 56 * (1 - scale)),
            (50 + 2.6 * scale, 62 * scale + 56 * (1 - scale)),
            (50 - 2.6 * scale, 62 * scale + 56 * (1 - scale)),
        ],
        ERASE,
    )
    canvas.circle((50, 70 * scale + 56 * (1 - scale)), 4.0 * scale, ERASE)


PICTOGRAM_DRAWERS: dict[str, Callable[[Canvas, float], None]] = {
    "flood": draw_flood,
    "landslide": draw_landslide,
    "drought": draw_drought,
    "wildfire": draw_wildfire,
    "heavy_snow": draw_heavy_snow,
    "typhoon": draw_typhoon,
    "earthquake": draw_earthquake,
    "heavy_rain": draw_heavy_rain,
    "storm": draw_storm,
    "tornado": draw_tornado,
    "tsunami": draw_tsunami,
    "heat": draw_heat,
    "cold": draw_cold,
    "fire": draw_fire,
    "none": draw_none,
}

PICTOGRAM_HAZARDS: frozenset[str] = frozenset(PICTOGRAM_DRAWERS)


def draw_pictogram(hazard: str, phase: float, size: int, ink: RGB) -> Image.Image:
    """One frame (RGBA, ``size``×``size``, transparent background) of ``hazard``'s
    pictogram in colour ``ink`` at animation ``phase`` (0..1, 1 wraps to 0)."""
    drawer = PICTOGRAM_DRAWERS.get(hazard)
    if drawer is None:
        known = ", ".join(sorted(PICTOGRAM_HAZARDS))
        raise ValueError(f"no pictogram for hazard {hazard!r}; known hazards: {known}")
    if size < 1:
        raise ValueError(f"pictogram size must be at least 1 pixel, got {size}")
    if not math.isfinite(phase):
        raise ValueError(f"pictogram phase must be a finite number, got {phase}")
    canvas = Canvas(size)
    # Wrapping here makes phase 1.0 draw exactly what phase 0.0 draws, to the pixel,
    # whatever rounding the periodic motions would otherwise leave.
    drawer(canvas, phase % 1.0)
    image = Image.new("RGBA", (size, size), (*ink, 0))
    image.putalpha(canvas.result())
    return image
