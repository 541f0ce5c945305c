"""Drawing surface and periodic motion helpers for the hazard pictograms.

A pictogram is a single-colour icon, so it is drawn as a coverage mask only: 255 is ink,
0 is background, values in between are the see-through secondary parts (smoke, fading
drops). Later shapes replace what is under them rather than blend with it, which is what
lets a shape "erase" a gap around itself (``ERASE``) the way printed pictograms separate
touching parts with a thin white line.

Shapes are given in a 100×100 view box whatever the output size, and the mask is drawn
at ``SUPERSAMPLE`` times the output size and box-averaged down: Pillow's polygons have no
anti-aliasing of their own, and box averaging of a 4× mask gives 17 coverage levels per
edge pixel for about a millisecond at 256 px.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

from PIL import Image, ImageDraw

VIEW_BOX = 100.0
SUPERSAMPLE = 4
INK = 255
ERASE = 0

Point = tuple[float, float]

# Turn (radians) above which a stroke's joint gets a round disc; below it the notch Pillow
# leaves between segments is under a tenth of the stroke width.
SHARP_BEND = 0.35


def _ribbon(points: Sequence[Point], half_width: float) -> list[Point]:
    """Outline of a band ``2 * half_width`` wide along a gently bending polyline."""
    normals: list[Point] = []
    for start, end in itertools.pairwise(points):
        length = math.dist(start, end)
        normals.append(((start[1] - end[1]) / length, (end[0] - start[0]) / length))
    left: list[Point] = []
    right: list[Point] = []
    for index, (x, y) in enumerate(points):
        first = normals[max(index - 1, 0)]
        second = normals[min(index, len(normals) - 1)]
        nx, ny = first[0] + second[0], first[1] + second[1]
        # Mitred offset: the averaged normal, lengthened so the band keeps its width.
        scale = half_width / max(nx * first[0] + ny * first[1], 0.5)
        left.append((x + nx * scale, y + ny * scale))
        right.append((x - nx * scale, y - ny * scale))
    return left + right[::-1]


def _bend(before: Point, vertex: Point, after: Point) -> float:
    """How far a polyline turns at ``vertex``, in radians (0 = straight on)."""
    incoming = math.atan2(vertex[1] - before[1], vertex[0] - before[0])
    outgoing = math.atan2(after[1] - vertex[1], after[0] - vertex[0])
    return abs((outgoing - incoming + math.pi) % (2 * math.pi) - math.pi)


class Canvas:
    """A supersampled coverage mask addressed in view-box units (0..100, y downwards)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pixels = size * SUPERSAMPLE
        self.scale = self.pixels / VIEW_BOX
        self.mask = Image.new("L", (self.pixels, self.pixels), ERASE)
        self._draw = ImageDraw.Draw(self.mask)

    def _to_pixels(self, points: Iterable[Point]) -> list[tuple[float, float]]:
        scale = self.scale
        return [(x * scale, y * scale) for x, y in points]

    def _width(self, width: float) -> int:
        return max(1, round(width * self.scale))

    def polygon(self, points: Sequence[Point], fill: int = INK) -> None:
        if len(points) >= 3:
            self._draw.polygon(self._to_pixels(points), fill=fill)

    def circle(self, centre: Point, radius: float, fill: int = INK) -> None:
        if radius <= 0:
            return
        x, y = centre
        self.ellipse((x - radius, y - radius, x + radius, y + radius), fill)

    def ellipse(self, box: tuple[float, float, float, float], fill: int = INK) -> None:
        left, top, right, bottom = (value * self.scale for value in box)
        if right - left >= 1 and bottom - top >= 1:
            self._draw.ellipse((left, top, right, bottom), fill=fill)

    def rectangle(self, box: tuple[float, float, float, float], fill: int = INK) -> None:
        left, top, right, bottom = (value * self.scale for value in box)
        if right > left and bottom > top:
            self._draw.rectangle((left, top, right, bottom), fill=fill)

    def rounded_rectangle(
        self, box: tuple[float, float, float, float], radius: float, fill: int = INK
    ) -> None:
        left, top, right, bottom = (value * self.scale for value in box)
        if right - left >= 1 and bottom - top >= 1:
            self._draw.rounded_rectangle(
                (left, top, right, bottom), radius=radius * self.scale, fill=fill
            )

    def stroke(self, points: Sequence[Point], width: float, fill: int = INK) -> None:
        """A polyline with round joins and round caps, like an icon font's strokes.

        Drawn as one polygon per smooth run, with a disc at each sharp bend and at both
        ends: Pillow's wide lines leave notches between short segments, visible as a comb
        along sampled curves, and its round joints cost a Python loop per vertex.
        """
        points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        radius = width / 2
        self.circle(points[0], radius, fill)
        if len(points) < 2:
            return
        self.circle(points[-1], radius, fill)
        run = [points[0]]
        for before, vertex, after in zip(points, points[1:], points[2:], strict=False):
            run.append(vertex)
            if _bend(before, vertex, after) > SHARP_BEND:
                self.polygon(_ribbon(run, radius), fill)
                self.circle(vertex, radius, fill)
                run = [vertex]
        run.append(points[-1])
        self.polygon(_ribbon(run, radius), fill)

    def result(self) -> Image.Image:
        """The coverage mask at the output size."""
        return self.mask.reduce(SUPERSAMPLE)


def turn(phase: float, cycles: float = 1.0, offset: float = 0.0) -> float:
    """Angle in radians of a motion that repeats ``cycles`` times per loop."""
    return 2.0 * math.pi * (cycles * phase + offset)


def wave(phase: float, cycles: int = 1, offset: float = 0.0) -> float:
    """sin of the motion angle: -1..1, periodic in phase because ``cycles`` is an integer."""
    return math.sin(turn(phase, cycles, offset))


def swell(phase: float, cycles: int = 1, offset: float = 0.0) -> float:
    """0..1..0 over each cycle, 0 at phase 0 (for rise-and-fall motions)."""
    return 0.5 - 0.5 * math.cos(turn(phase, cycles, offset))


def travel(phase: float, offset: float = 0.0, cycles: int = 1) -> float:
    """Position 0..1 along a path that one item crosses ``cycles`` times per loop.

    The wrap-around from 1 back to 0 is hidden by ``fade``, so items that travel (rain,
    rocks, smoke) never jump.
    """
    return (cycles * phase + offset) % 1.0


def fade(position: float, edge: float = 0.2) -> float:
    """0 at both ends of a travel path, 1 in the middle, smooth in between."""
    ramp = min(position, 1.0 - position) / edge
    ramp = min(max(ramp, 0.0), 1.0)
    return ramp * ramp * (3.0 - 2.0 * ramp)


def coverage(opacity: float) -> int:
    """Mask value for a see-through part (0..1 opacity)."""
    return round(INK * min(max(opacity, 0.0), 1.0))


def rotate(points: Iterable[Point], centre: Point, angle: float) -> list[Point]:
    """Points turned by ``angle`` radians about ``centre`` (clockwise on screen)."""
    cx, cy = centre
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    return [
        (cx + (x - cx) * cos_a - (y - cy) * sin_a, cy + (x - cx) * sin_a + (y - cy) * cos_a)
        for x, y in points
    ]


def sine_path(
    left: float, right: float, base_y: float, *, amplitude: float, wavelength: float, shift: float
) -> list[Point]:
    """A horizontal sine curve; ``shift`` (in wavelengths) moves the crests rightwards."""
    steps = max(8, round((right - left) / 1.5))
    points: list[Point] = []
    for index in range(steps + 1):
        x = left + (right - left) * index / steps
        angle = 2.0 * math.pi * ((x - left) / wavelength - shift)
        points.append((x, base_y + amplitude * math.sin(angle)))
    return points
