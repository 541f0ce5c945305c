"""Sky pictograms: storm, tornado, typhoon and cold."""

from __future__ import annotations

import math

from pipeline.card.pictograms_canvas import (
    ERASE,
    Canvas,
    Point,
    coverage,
    fade,
    swell,
    travel,
    turn,
    wave,
)
from pipeline.card.pictograms_shapes import bolt, cloud, snowflake, sparkle, thermometer


def _flash(phase: float, at: float) -> float:
    """A short bright pulse centred on ``at`` (0..1), smooth on both sides."""
    closeness = max(0.0, math.cos(turn(phase, 1, -at)))
    return float(closeness**10)


def draw_storm(canvas: Canvas, phase: float) -> None:
    """A storm cloud with a lightning bolt flashing twice and gusts blowing past."""
    # Gusts: wind strokes ending in a curl, blowing rightwards under the cloud.
    for index, y in enumerate((64.0, 76.0, 88.0)):
        position = travel(phase, index * 0.33)
        strength = fade(position, 0.3)
        if strength <= 0:
            continue
        length = 22 + 6 * (index % 2)
        left = -10 + position * 40
        line: list[Point] = [(left + length * k / 8, y) for k in range(9)]
        end_x = left + length
        line += [
            (end_x + 4.5 * math.sin(a), y - 4.5 + 4.5 * math.cos(a))
            for a in (0.5 * k for k in range(1, 8))
        ]
        canvas.stroke(line, 3.2, coverage(strength))
    # Two flashes per loop, a strong one then a weaker echo, over a dim standing bolt.
    flash = max(_flash(phase, 0.0), 0.7 * _flash(phase, 0.22))
    bolt(canvas, (64, 42), 50, fill=coverage(0.5 + 0.5 * flash))
    cloud(canvas, (48, 26), 70, gap=3.5)


# How far the funnel's foot swings sideways, in view-box units.
FUNNEL_SWAY = 10.0


def draw_tornado(canvas: Canvas, phase: float) -> None:
    """A funnel of spinning rings that sways, with debris circling its foot."""
    bands = 7
    top_y, bottom_y = 16.0, 78.0
    for band in range(bands):
        s = band / (bands - 1)
        y = top_y + (bottom_y - top_y) * s
        half_width = 40 * (1 - s) ** 1.2 + 4.0
        height = min(0.2 * half_width, 4.5)
        # The funnel's foot swings further than its top, like a rope tornado.
        centre_x = 50 + FUNNEL_SWAY * s**1.5 * wave(phase, 1, -0.15 * s)
        stroke = 4.0 + 1.4 * (1 - s)
        # Back half faint, front half solid: a ring seen from the side.
        for start, opacity in ((math.pi, 0.4), (0.0, 1.0)):
            arc = [
                (
                    centre_x + half_width * math.cos(start + math.pi * k / 16),
                    y + height * math.sin(start + math.pi * k / 16),
                )
                for k in range(17)
            ]
            canvas.stroke(arc, stroke, coverage(opacity))
        # Two gaps run round each ring, seen as they cross its front: the spin.
        for k in range(2):
            # Half a turn per loop is a full period for two gaps half a ring apart.
            centre_angle = turn(phase, 0.5, -band * 0.05) + k * math.pi
            if math.sin(centre_angle) <= 0:
                continue
            segment = [
                (
                    centre_x + half_width * math.cos(centre_angle + 0.08 * j),
                    y + height * math.sin(centre_angle + 0.08 * j),
                )
                for j in range(-2, 3)
            ]
            canvas.stroke(segment, stroke * 0.55, ERASE)
    # Debris orbiting the foot, bigger when in front (lower on screen).
    foot_x = 50 + FUNNEL_SWAY * wave(phase, 1, -0.15)
    for index in range(4):
        angle = turn(phase, 1, index / 4)
        depth = 0.5 + 0.5 * math.sin(angle)
        centre = (foot_x + 16 * math.cos(angle), 88 + 4 * math.sin(angle))
        canvas.rectangle(
            (
                centre[0] - 1.2 - 1.6 * depth,
                centre[1] - 1.2 - 1.6 * depth,
                centre[0] + 1.2 + 1.6 * depth,
                centre[1] + 1.2 + 1.6 * depth,
            ),
            coverage(0.45 + 0.55 * depth),
        )


def _spiral_arm(centre: Point, start_angle: float) -> list[Point]:
    """One arm of the typhoon symbol: leaves the eye wall and sweeps out, thinning."""
    cx, cy = centre
    outer: list[Point] = []
    inner: list[Point] = []
    steps = 24
    sweep = 0.62 * math.pi
    for index in range(steps + 1):
        s = index / steps
        # Going outwards an arm bends clockwise: it trails behind the anticlockwise spin
        # of a northern-hemisphere typhoon, as in the weather-map symbol.
        angle = start_angle + sweep * s
        radius = 14 + 28 * s**1.3
        width = 15 * (1 - s) ** 0.9
        outer.append(
            (
                cx + (radius + width * 0.3) * math.cos(angle),
                cy + (radius + width * 0.3) * math.sin(angle),
            )
        )
        inner.append(
            (
                cx + (radius - width * 0.7) * math.cos(angle),
                cy + (radius - width * 0.7) * math.sin(angle),
            )
        )
    return outer + inner[::-1]


def draw_typhoon(canvas: Canvas, phase: float) -> None:
    """The typhoon symbol, an eye with two sweeping arms, turning anticlockwise."""
    centre = (50.0, 50.0)
    # Half a turn per loop is a full period: the symbol looks the same after 180°.
    spin = -turn(phase, 0.5)
    for arm in range(2):
        canvas.polygon(_spiral_arm(centre, spin + arm * math.pi))
    canvas.circle(centre, 19)
    canvas.circle(centre, 8.5, ERASE)
    # Faint outer rain bands turning with it.
    for arm in range(2):
        band: list[Point] = []
        for index in range(12):
            angle = spin + arm * math.pi + 1.6 + 0.09 * index
            radius = 40 + 0.35 * index
            band.append(
                (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
            )
        canvas.stroke(band, 3.0, coverage(0.45))


def draw_cold(canvas: Canvas, phase: float) -> None:
    """A large snowflake turning slowly, a thermometer near empty and twinkling frost."""
    # A sixth of a turn per loop is a full period for a six-armed flake.
    snowflake(canvas, (40, 50), 31, angle=turn(phase, 1 / 6, 1 / 24), stroke=4.6)
    canvas.circle((40, 50), 4.6)
    thermometer(canvas, 84, 14, 86, level=0.12 + 0.05 * swell(phase), tube=10)
    for index, (centre, reach) in enumerate(
        (((76, 10), 6.0), ((12, 16), 5.0), ((66, 90), 5.5), ((12, 86), 4.5))
    ):
        twinkle = swell(phase, 1, index / 4)
        sparkle(canvas, centre, reach * (0.2 + 0.8 * twinkle))
