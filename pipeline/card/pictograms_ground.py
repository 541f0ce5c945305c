"""Ground pictograms: earthquake and landslide."""

from __future__ import annotations

import math

from pipeline.card.pictograms_canvas import (
    ERASE,
    Canvas,
    Point,
    coverage,
    fade,
    rotate,
    swell,
    travel,
    turn,
)
from pipeline.card.pictograms_shapes import building, conifer

# Rock outlines as (angle, radius factor) pairs: irregular enough to read as rocks, fixed
# so the pictogram is the same on every render.
ROCK_SHAPES: tuple[tuple[tuple[float, float], ...], ...] = (
    ((0.0, 1.0), (1.1, 0.85), (2.0, 1.05), (3.0, 0.9), (4.0, 1.0), (5.2, 0.8)),
    ((0.4, 0.95), (1.5, 1.05), (2.6, 0.8), (3.6, 1.0), (4.7, 0.9), (5.6, 1.0)),
)


def draw_earthquake(canvas: Canvas, phase: float) -> None:
    """A building swaying on shaking ground that cracks open and closes again."""
    # Three sways per loop for the shaking; the odd count makes the half-loop frame lean
    # the other way, and cos starts the loop at full lean rather than upright.
    sway = math.cos(turn(phase, 3))
    jolt = 1.6 * math.cos(turn(phase, 3, 0.15))
    ground_top = 72.0
    ground_bottom = 94.0
    canvas.polygon(
        [
            (4 + jolt, ground_top),
            (96 + jolt, ground_top),
            (96 + jolt, ground_bottom),
            (4 + jolt, ground_bottom),
        ]
    )
    building(canvas, (34, 20, 66, ground_top - 2.5), 4, 2, lean=6 * sway)
    # The crack opens and runs deeper over the first half of the loop, closes in the
    # second; it splits the ground to either side of the building's foot.
    opening = swell(phase)
    reach = 0.4 + 0.6 * opening
    depth = ground_bottom - ground_top + 1
    for start_x, bends in ((26.0, (4.0, -3.0, 3.0, -2.0)), (72.0, (-3.5, 3.0, -3.0, 2.5))):
        crack: list[Point] = [(start_x + jolt, ground_top - 0.5)]
        for index, dx in enumerate(bends):
            crack.append(
                (start_x + jolt + dx, ground_top + depth * reach * (index + 1) / len(bends))
            )
        canvas.stroke(crack, 1.0 + 2.8 * opening, ERASE)
        branch_root = crack[2]
        canvas.stroke(
            [branch_root, (branch_root[0] + (start_x - 50) * 0.3 * reach, branch_root[1] + 5)],
            0.8 + 1.6 * opening,
            ERASE,
        )
    for side in (-1, 1):
        # Short shake marks beside the building, strongest on the side it leans to.
        strength = max(0.0, side * sway)
        for rank, distance_out in enumerate((8.0, 14.0)):
            x = 50 + side * (22 + distance_out)
            marks = [
                (x - side * 2.0, 30 + rank * 6),
                (x + side * 2.0, 42 + rank * 6),
                (x - side * 2.0, 54 + rank * 6),
            ]
            canvas.stroke(marks, 2.6, coverage(0.25 + 0.75 * strength))


def _rock(centre: Point, radius: float, angle: float, shape: int) -> list[Point]:
    """Outline of rock ``shape`` (cycling through ``ROCK_SHAPES``), turned by ``angle``."""
    cx, cy = centre
    outline = [
        (cx + radius * reach * math.cos(corner), cy + radius * reach * math.sin(corner))
        for corner, reach in ROCK_SHAPES[shape % len(ROCK_SHAPES)]
    ]
    return rotate(outline, centre, angle)


def draw_landslide(canvas: Canvas, phase: float) -> None:
    """A slab of earth sliding down a steep slope in blocks, rocks tumbling ahead of it."""
    top: Point = (24.0, 30.0)
    foot: Point = (84.0, 80.0)
    canvas.polygon([(2, 30), top, foot, (98, 80), (98, 96), (2, 96)])
    conifer(canvas, 12, 30, 20)
    length = math.dist(top, foot)
    along = ((foot[0] - top[0]) / length, (foot[1] - top[1]) / length)
    normal = (along[1], -along[0])  # out of the slope, up and to the right

    def on_slope(distance: float, height: float) -> Point:
        return (
            top[0] + along[0] * distance + normal[0] * height,
            top[1] + along[1] * distance + normal[1] * height,
        )

    # The slip surface: the slab above it has broken away from the hill at the scarp.
    slab_depth = 13.0
    canvas.stroke(
        [on_slope(2, 1), on_slope(4, -slab_depth), on_slope(length, -slab_depth)], 2.2, ERASE
    )
    # Cracks across the slab travel down the slope: the blocks between them slide.
    for index in range(3):
        position = travel(phase, index / 3)
        strength = fade(position, 0.2)
        if strength <= 0:
            continue
        distance = 6 + (length - 6) * position
        crack = [
            on_slope(distance, 1),
            on_slope(distance + 2.5, -slab_depth * 0.4),
            on_slope(distance - 1.5, -slab_depth * 0.7),
            on_slope(distance, -slab_depth),
        ]
        canvas.stroke(crack, 2.4 * strength, ERASE)
    # A burst of rocks rolls and hops down the surface, then the slope is quiet for a
    # moment. They grow out of the scarp and sink into the heap, so the wrap back to the
    # top never shows.
    for index, (size, offset) in enumerate(((8.5, 0.0), (5.5, 0.18), (7.0, 0.4))):
        position = travel(phase, offset)
        strength = fade(position, 0.2)
        if strength <= 0:
            continue
        radius = size * strength
        distance = length * (0.1 + 0.82 * position)
        hop = 2.5 * abs(math.sin(position * math.pi * 3))
        centre = on_slope(distance, radius * 0.9 + 1.8 + hop)
        # Half the rolling angle: a full roll spins a rock too far between frames.
        outline = _rock(centre, radius, 0.5 * distance / size, index)
        canvas.stroke([*outline, outline[0]], 2.4, ERASE)
        canvas.polygon(outline)
    # Debris heap at the foot.
    for centre, radius in (((86, 78), 4.0), ((93, 76), 3.4), ((80, 79), 2.6)):
        canvas.circle(centre, radius)
