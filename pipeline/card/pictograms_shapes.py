"""Shapes shared by several pictograms: clouds, houses, trees, flames, snowflakes, suns,
thermometers. Each draws itself onto a ``Canvas`` in view-box units."""

from __future__ import annotations

import math

from pipeline.card.pictograms_canvas import ERASE, INK, Canvas, Point

# Clouds are drawn as a flat-bottomed pill plus three bumps; the bumps are given as
# (x offset, y offset, radius) in cloud widths so one shape scales to every pictogram.
CLOUD_BUMPS = ((-0.24, 0.02, 0.19), (0.02, -0.1, 0.27), (0.27, 0.04, 0.17))
CLOUD_TOP = -0.02  # of the pill, in cloud widths below the centre
CLOUD_BOTTOM = 0.17


def cloud(canvas: Canvas, centre: Point, width: float, gap: float = 0.0) -> None:
    """A cloud around ``centre`` whose flat bottom lies a sixth of its width below it.

    ``gap`` > 0 first erases a margin of that width around the cloud, so it stands out
    from rain or a bolt drawn behind it.
    """
    cx, cy = centre
    layers = ((gap, ERASE), (0.0, INK)) if gap > 0 else ((0.0, INK),)
    for margin, colour in layers:
        top = cy + width * CLOUD_TOP - margin
        bottom = cy + width * CLOUD_BOTTOM + margin
        canvas.rounded_rectangle(
            (cx - width / 2 - margin, top, cx + width / 2 + margin, bottom),
            (bottom - top) / 2,
            colour,
        )
        for dx, dy, radius in CLOUD_BUMPS:
            canvas.circle((cx + dx * width, cy + dy * width), radius * width + margin, colour)


def house(canvas: Canvas, centre_x: float, base_y: float, width: float) -> None:
    """A house: body, overhanging roof, door and window cut out."""
    body_top = base_y - width * 0.62
    half = width / 2
    roof_peak = body_top - width * 0.5
    eave = width * 0.12
    canvas.rectangle((centre_x - half, body_top, centre_x + half, base_y))
    # Chimney, so the outline reads as a house and not as an arrow.
    canvas.rectangle(
        (centre_x + width * 0.2, roof_peak + width * 0.08, centre_x + width * 0.34, body_top - 1)
    )
    canvas.polygon(
        [
            (centre_x - half - eave, body_top + width * 0.04),
            (centre_x, roof_peak),
            (centre_x + half + eave, body_top + width * 0.04),
        ]
    )
    door_half = width * 0.11
    canvas.rectangle(
        (centre_x - door_half, base_y - width * 0.36, centre_x + door_half, base_y), ERASE
    )
    window = width * 0.13
    window_y = body_top + width * 0.1
    for side in (-1, 1):
        window_x = centre_x + side * width * 0.3
        canvas.rectangle(
            (window_x - window / 2, window_y, window_x + window / 2, window_y + window), ERASE
        )


def sheared(points: list[Point], base_y: float, lean: float, height: float) -> list[Point]:
    """Points leaned sideways in proportion to their height above ``base_y``."""
    return [(x + lean * (base_y - y) / height, y) for x, y in points]


def building(
    canvas: Canvas,
    box: tuple[float, float, float, float],
    floors: int,
    columns: int,
    lean: float = 0.0,
) -> None:
    """A multi-storey block with a grid of windows cut out; ``lean`` shears its top
    sideways by that many units (an earthquake sway)."""
    left, top, right, bottom = box
    height = bottom - top

    def rect(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
        return sheared([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], bottom, lean, height)

    canvas.polygon(rect(left, top, right, bottom))
    margin = (right - left) * 0.16
    cell_w = (right - left - 2 * margin) / columns
    cell_h = (height - margin * 1.4) / (floors + 0.4)
    for floor in range(floors):
        for column in range(columns):
            x0 = left + margin + column * cell_w + cell_w * 0.18
            y0 = top + margin + floor * cell_h + cell_h * 0.2
            canvas.polygon(rect(x0, y0, x0 + cell_w * 0.64, y0 + cell_h * 0.55), ERASE)


def conifer(canvas: Canvas, centre_x: float, base_y: float, height: float, fill: int = INK) -> None:
    """A fir tree: three stacked triangles on a short trunk."""
    trunk_h = height * 0.16
    trunk_w = height * 0.1
    canvas.rectangle(
        (centre_x - trunk_w / 2, base_y - trunk_h - 1, centre_x + trunk_w / 2, base_y), fill
    )
    crown_bottom = base_y - trunk_h
    crown_h = height - trunk_h
    for start, end, half_width in ((0.0, 0.5, 0.36), (0.3, 0.75, 0.28), (0.55, 1.0, 0.2)):
        y_bottom = crown_bottom - crown_h * start
        y_top = crown_bottom - crown_h * end
        canvas.polygon(
            [
                (centre_x - height * half_width, y_bottom),
                (centre_x, y_top),
                (centre_x + height * half_width, y_bottom),
            ],
            fill,
        )


# Flame outlines as (x, y, sharp) in units of half the width (x) and the height (y, up
# from the base), going round from the bottom: a main tongue with a shorter one on each
# side. Sharp points are the tongue tips; the spline passes them without rounding them.
FLAME_OUTLINE: tuple[tuple[float, float, bool], ...] = (
    (0.0, 0.0, False),
    (0.66, 0.05, False),
    (0.97, 0.3, False),
    (0.9, 0.55, False),
    (0.8, 0.86, True),  # right tongue tip
    (0.5, 0.62, False),
    (0.32, 0.8, False),
    (0.06, 1.0, True),  # main tip
    (-0.26, 0.8, False),
    (-0.44, 0.64, False),
    (-0.74, 0.78, True),  # left tongue tip
    (-0.9, 0.52, False),
    (-0.97, 0.28, False),
    (-0.66, 0.05, False),
)
FLAME_CORE: tuple[tuple[float, float, bool], ...] = (
    (0.0, 0.08, False),
    (0.38, 0.16, False),
    (0.44, 0.34, False),
    (0.28, 0.5, False),
    (-0.04, 0.68, True),  # core tip
    (-0.2, 0.5, False),
    (-0.4, 0.32, False),
    (-0.36, 0.15, False),
)
RIGHT_TIP, MAIN_TIP, LEFT_TIP, CORE_TIP = 4, 7, 10, 4


def flame_shape(
    outline: tuple[tuple[float, float, bool], ...],
    origin: Point,
    size: tuple[float, float],
    tips: dict[int, tuple[float, float]],
) -> list[Point]:
    """``outline`` placed at ``origin`` (base centre), scaled to (half width, height), with
    the tip points moved by ``tips`` (index -> dx, dy in the same units), smoothed."""
    ox, oy = origin
    half_width, height = size
    controls: list[tuple[Point, bool]] = []
    for index, (x, y, sharp) in enumerate(outline):
        dx, dy = tips.get(index, (0.0, 0.0))
        controls.append(((ox + (x + dx) * half_width, oy - (y + dy) * height), sharp))
    return smooth_closed(controls)


def flame(
    canvas: Canvas,
    centre_x: float,
    base_y: float,
    *,
    height: float,
    width: float,
    licks: tuple[float, float, float],
    gap: float = 0.0,
) -> None:
    """A three-tongued flame with its inner flame cut out, as in fire-warning icons.

    ``licks`` moves the tips: the main tip sideways, the side tips up and down (units of
    half the width and of the height); animating them is the flicker.
    """
    sway, left_rise, right_rise = licks
    outline = flame_shape(
        FLAME_OUTLINE,
        (centre_x, base_y),
        (width / 2, height),
        {
            MAIN_TIP: (sway, 0.0),
            LEFT_TIP: (-0.3 * left_rise, left_rise),
            RIGHT_TIP: (0.3 * right_rise, right_rise),
        },
    )
    if gap > 0:
        canvas.stroke([*outline, outline[0]], gap * 2, ERASE)
    canvas.polygon(outline)
    core = flame_shape(
        FLAME_CORE, (centre_x, base_y), (width / 2, height), {CORE_TIP: (-0.6 * sway, 0.0)}
    )
    canvas.polygon(core, ERASE)


def smooth_closed(controls: list[tuple[Point, bool]], samples: int = 6) -> list[Point]:
    """A closed Catmull-Rom curve through ``controls``; points marked sharp get zero
    tangents, which leaves a pointed tip there."""
    count = len(controls)
    tangents: list[Point] = []
    for index, ((_x, _y), sharp) in enumerate(controls):
        if sharp:
            tangents.append((0.0, 0.0))
            continue
        (prev_x, prev_y), _ = controls[index - 1]
        (next_x, next_y), _ = controls[(index + 1) % count]
        tangents.append(((next_x - prev_x) / 2, (next_y - prev_y) / 2))
    points: list[Point] = []
    for index in range(count):
        (x0, y0), _ = controls[index]
        (x1, y1), _ = controls[(index + 1) % count]
        (mx0, my0), (mx1, my1) = tangents[index], tangents[(index + 1) % count]
        for step in range(samples):
            t = step / samples
            t2, t3 = t * t, t * t * t
            h00, h10 = 2 * t3 - 3 * t2 + 1, t3 - 2 * t2 + t
            h01, h11 = -2 * t3 + 3 * t2, t3 - t2
            points.append(
                (
                    h00 * x0 + h10 * mx0 + h01 * x1 + h11 * mx1,
                    h00 * y0 + h10 * my0 + h01 * y1 + h11 * my1,
                )
            )
    return points


def snowflake(
    canvas: Canvas, centre: Point, radius: float, *, angle: float, stroke: float, fill: int = INK
) -> None:
    """A six-armed snowflake with a pair of side branches on each arm."""
    cx, cy = centre
    for arm in range(6):
        arm_angle = angle + arm * math.pi / 3
        dx, dy = math.cos(arm_angle), math.sin(arm_angle)
        canvas.stroke([(cx, cy), (cx + dx * radius, cy + dy * radius)], stroke, fill)
        branch_root = radius * 0.55
        bx, by = cx + dx * branch_root, cy + dy * branch_root
        for side in (-1, 1):
            branch_angle = arm_angle + side * math.pi / 4
            length = radius * 0.35
            canvas.stroke(
                [
                    (bx, by),
                    (bx + math.cos(branch_angle) * length, by + math.sin(branch_angle) * length),
                ],
                stroke,
                fill,
            )


def sun(
    canvas: Canvas,
    centre: Point,
    radius: float,
    *,
    rays: int,
    ray_length: float,
    angle: float,
    ray_width: float,
) -> None:
    """A disc with ``rays`` straight rays starting a little away from it."""
    cx, cy = centre
    canvas.circle(centre, radius)
    inner = radius + ray_width * 1.1
    for ray in range(rays):
        ray_angle = angle + ray * 2 * math.pi / rays
        dx, dy = math.cos(ray_angle), math.sin(ray_angle)
        canvas.stroke(
            [
                (cx + dx * inner, cy + dy * inner),
                (cx + dx * (inner + ray_length), cy + dy * (inner + ray_length)),
            ],
            ray_width,
        )


def thermometer(
    canvas: Canvas, centre_x: float, top: float, bottom: float, *, level: float, tube: float
) -> None:
    """An outlined thermometer with its liquid filled to ``level`` (0..1) of the tube."""
    bulb_radius = tube * 0.95
    bulb_y = bottom - bulb_radius
    wall = tube * 0.22
    half = tube / 2
    canvas.rounded_rectangle((centre_x - half, top, centre_x + half, bulb_y), half)
    canvas.circle((centre_x, bulb_y), bulb_radius)
    inner_half = half - wall
    canvas.rounded_rectangle(
        (centre_x - inner_half, top + wall, centre_x + inner_half, bulb_y), inner_half, ERASE
    )
    canvas.circle((centre_x, bulb_y), bulb_radius - wall, ERASE)
    liquid_half = inner_half - wall * 0.7
    canvas.circle((centre_x, bulb_y), bulb_radius - wall * 1.7)
    liquid_top = bulb_y - (bulb_y - top - wall * 2 - liquid_half) * min(max(level, 0.0), 1.0)
    canvas.rounded_rectangle(
        (centre_x - liquid_half, liquid_top, centre_x + liquid_half, bulb_y), liquid_half
    )
    # Scale ticks on the right, so the tube reads as a thermometer rather than a pill.
    for tick in range(4):
        tick_y = top + tube * 0.9 + tick * (bulb_y - top - tube * 1.8) / 3
        canvas.stroke(
            [(centre_x + half + tube * 0.35, tick_y), (centre_x + half + tube * 0.8, tick_y)],
            wall * 1.2,
        )


def sparkle(canvas: Canvas, centre: Point, radius: float, fill: int = INK) -> None:
    """A four-pointed star (frost glint)."""
    if radius <= 0.2:
        return
    cx, cy = centre
    waist = radius * 0.22
    points: list[Point] = []
    for corner in range(8):
        angle = corner * math.pi / 4 - math.pi / 2
        reach = radius if corner % 2 == 0 else waist
        points.append((cx + math.cos(angle) * reach, cy + math.sin(angle) * reach))
    canvas.polygon(points, fill)


def bolt(canvas: Canvas, top: Point, height: float, fill: int = INK) -> None:
    """A lightning bolt hanging from ``top``."""
    x, y = top
    h = height
    points = [
        (x - h * 0.08, y),
        (x + h * 0.3, y),
        (x + h * 0.1, y + h * 0.38),
        (x + h * 0.32, y + h * 0.38),
        (x - h * 0.16, y + h),
        (x - h * 0.02, y + h * 0.52),
        (x - h * 0.24, y + h * 0.52),
    ]
    canvas.polygon(points, fill)
