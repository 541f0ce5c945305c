"""Water pictograms: flood, tsunami, heavy rain and heavy snow."""

from __future__ import annotations

import math

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
from pipeline.card.pictograms_shapes import cloud, house, snowflake


def draw_flood(canvas: Canvas, phase: float) -> None:
    """A house with water rising to its door and waves flowing past it."""
    house(canvas, 50, 76, 46)
    # The level rises over the first half of the loop and falls back in the second; the
    # waves keep flowing rightwards one wavelength per loop.
    level = 77 - 15 * swell(phase)
    surface = sine_path(4, 96, level, amplitude=2.6, wavelength=30, shift=phase)
    canvas.stroke(surface, 7, ERASE)
    canvas.polygon([*surface, (96, 94), (4, 94)])
    # The ripples below stay at their depth while the surface climbs away from them, so
    # the band of water above them thickens as the flood rises.
    for ripple_y, shift in ((84.0, -phase), (90.5, phase)):
        ripple = sine_path(4, 96, ripple_y, amplitude=1.8, wavelength=26, shift=shift + 0.3)
        canvas.stroke(ripple, 2.4, ERASE)


def _spiral_curl(centre: Point, radius: float, thickness: float, tip_angle: float) -> list[Point]:
    """The breaking crest: a band that spirals from the wave's back over the top and
    inwards, thinning to the lip's tip (screen angles, y downwards)."""
    cx, cy = centre
    start = math.pi
    shrink = 0.18
    outer: list[Point] = []
    inner: list[Point] = []
    steps = 28
    for index in range(steps + 1):
        s = index / steps
        angle = start + (tip_angle - start) * s
        r_out = radius * math.exp(-shrink * (angle - start))
        band = thickness * (1 - s) ** 0.8
        r_in = r_out - band
        outer.append((cx + r_out * math.cos(angle), cy + r_out * math.sin(angle)))
        inner.append((cx + r_in * math.cos(angle), cy + r_in * math.sin(angle)))
    return outer + inner[::-1]


def draw_tsunami(canvas: Canvas, phase: float) -> None:
    """A huge curling wave surging towards a shore with a house on it."""
    sea_floor = 86
    # Shore first: the wave's gap stroke cuts it cleanly where they meet.
    canvas.polygon([(62, sea_floor), (98, 64), (98, 96), (62, 96)])
    house(canvas, 86, 66.5, 13)
    surge = 7 * swell(phase)
    curl = 0.35 * wave(phase, 1, 0.15)
    centre = (40 + surge, 50)
    radius = 30
    thickness = 17
    curl_outline = _spiral_curl(centre, radius, thickness, 2.85 * math.pi + curl)
    back: list[Point] = [(2, sea_floor), (2, 76)]
    # The back of the wave rises steeply into the crest.
    start_x, start_y = centre[0] - radius, centre[1]
    for index in range(1, 9):
        s = index / 8
        back.append((2 + (start_x - 2) * s, 76 - (76 - start_y) * math.sin(s * math.pi / 2)))
    face_top = (start_x + thickness, start_y)
    face: list[Point] = []
    for index in range(9):
        s = index / 8
        # The face under the curl bows back towards the crest, leaving the barrel open.
        x = face_top[0] + (centre[0] + radius * 0.55 - face_top[0]) * s**1.6
        y = face_top[1] + (sea_floor - face_top[1]) * s
        face.append((x, y))
    body = back + face
    canvas.stroke([*body, body[0]], 5, ERASE)
    canvas.stroke([*curl_outline, curl_outline[0]], 5, ERASE)
    canvas.polygon(body)
    canvas.polygon(curl_outline)
    canvas.circle(curl_outline[len(curl_outline) // 2], 1.2)
    # Spray flung forward off the crest (three drops: an even number evenly spaced would
    # make the half-loop frame repeat the first).
    for index in range(3):
        position = travel(phase, index / 3)
        strength = fade(position, 0.25)
        x = centre[0] + 6 + position * 30
        y = centre[1] - radius * 0.8 - 8 * math.sin(position * math.pi) + position * 14
        canvas.circle((x, y), 2.4 * strength, coverage(strength))


def draw_heavy_rain(canvas: Canvas, phase: float) -> None:
    """Dense slanted rain streaks pouring from a cloud."""
    slant = -0.3
    top, bottom = 40.0, 94.0
    columns = (18, 30, 42, 54, 66, 78)
    for column, x in enumerate(columns):
        # Three drops per column: an odd count, so the half-loop frame is not the same
        # picture as the first one (two evenly spaced drops would just swap places).
        for row in range(3):
            position = travel(phase, (column * 0.37 + row / 3) % 1.0)
            strength = fade(position, 0.18)
            if strength <= 0:
                continue
            y = top + (bottom - top) * position
            length = 11 * strength
            head = (x + slant * (y - top), y)
            tail = (head[0] - slant * length, y - length)
            canvas.stroke([tail, head], 3.6, coverage(0.35 + 0.65 * strength))
    cloud(canvas, (50, 26), 68, gap=3.5)


def draw_heavy_snow(canvas: Canvas, phase: float) -> None:
    """Snowflakes drifting down from a cloud onto a growing drift."""
    top, bottom = 36.0, 86.0
    columns = (16, 36, 56, 76)
    for column, x in enumerate(columns):
        for row in range(2):
            offset = (column * 0.29 + row * 0.5) % 1.0
            position = travel(phase, offset)
            strength = fade(position, 0.15)
            if strength <= 0:
                continue
            y = top + (bottom - top) * position
            drift = 4.5 * wave(phase, 1, offset + column * 0.25)
            snowflake(
                canvas,
                (x + 6 * row + drift, y),
                5.5 * strength,
                angle=turn(phase, 1 / 6, offset),
                # Thinner strokes as the flake shrinks keep its branches apart.
                stroke=1.6 * max(strength, 0.4),
                fill=coverage(strength),
            )
    # The drift swells a little as the snow settles, and sinks back by the loop's end.
    mound = sine_path(2, 98, 90 - 2 * swell(phase), amplitude=1.2, wavelength=48, shift=0.25)
    canvas.polygon([*mound, (98, 98), (2, 98)])
    cloud(canvas, (50, 22), 64, gap=3)
