"""CAP geometry rules: ``<polygon>``, ``<circle>`` and their WGS 84 coordinates.

A shape either reads to a typed ``Polygon``/``Circle`` or, when it has no safe reading,
is dropped from its area under the real-world policy (``cap.geometry_dropped``: the area
keeps its description, geocodes and other shapes) and refused under the strict policy
with the error it has always had (``cap.invalid_polygon``, ``cap.invalid_circle``,
``cap.invalid_coordinate``). Between the two, some defects are read with a warning:

- numbers with stray spaces or commas (``-118.09, +40.86``, ``- 112.1174``) are read
  pairwise under every policy (``cap.coordinate_format``);
- stray ``;()[]{}"'`` between the numbers are read as separators (real-world,
  ``cap.stray_characters``); letters or any other character drop the polygon, since the
  text may then not be CAP's ``lat,lon`` at all (WKT writes ``lon lat``);
- a coordinate at most ``COORDINATE_TOLERANCE_DEG`` outside its range is clamped to the
  range (real-world, ``cap.coordinate_range``); farther out, the shape is dropped.
"""

from __future__ import annotations

import math
import re

from cap import errors
from cap.errors import CapError
from cap.model import Circle, Point, Polygon
from cap.policy import COORDINATE_TOLERANCE_DEG, Findings

# Some feeds write "lat, lon"; the pair is still unambiguous, so the space is dropped.
_COMMA_WITH_SPACES = re.compile(r"\s*,\s*")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_CANONICAL_POLYGON = re.compile(rf"{_NUMBER},{_NUMBER}(?:\s+{_NUMBER},{_NUMBER})*")
_POLYGON_CHARACTERS = re.compile(r"[0-9.,+\-\s]*")
# Characters that can never be part of a number, read as separators (real-world policy).
_STRAY_SEPARATORS = re.compile(r"[;()\[\]{}\"']")
_SIGN_SPACE = re.compile(r"([+-])\s+")
_SEPARATORS = re.compile(r"[\s,]+")

_DROPPED = "dropped from its area, which keeps its description, geocodes and other shapes"


def _clamp(value: float, limit: float) -> float | None:
    """``value`` if within ±``limit``, clamped if a hair outside, ``None`` if farther."""
    if -limit <= value <= limit:
        return value
    if abs(value) - limit <= COORDINATE_TOLERANCE_DEG:  # NaN compares False: None
        return math.copysign(limit, value)
    return None


def _range_error(lat: float, lon: float, text: str, location: str) -> CapError:
    bad = f"latitude {lat!r}" if not -90.0 <= lat <= 90.0 else f"longitude {lon!r}"
    return CapError(errors.CAP_INVALID_COORDINATE, f"{bad} in {text}", location)


def _in_range(
    lats: list[float], lons: list[float], text: str, location: str, findings: Findings
) -> tuple[Point, ...]:
    """The points, each a hair out of range clamped (real-world: one warning for all of
    them; strict: refused); a point farther out is refused, naming it.
    """
    points: list[Point] = []
    warned = False
    for lat, lon in zip(lats, lons, strict=True):
        clamped_lat, clamped_lon = _clamp(lat, 90.0), _clamp(lon, 180.0)
        if clamped_lat is None or clamped_lon is None:
            raise _range_error(lat, lon, text, location)
        if not warned and (clamped_lat != lat or clamped_lon != lon):
            findings.tolerate(
                _range_error(lat, lon, text, location),
                errors.WARN_COORDINATE_RANGE,
                f"within {COORDINATE_TOLERANCE_DEG}° of the range: clamped to it "
                f"({lat},{lon} read as {clamped_lat},{clamped_lon})",
            )
            warned = True
        points.append(Point(lat=clamped_lat, lon=clamped_lon))
    return tuple(points)


def parse_point(text: str, location: str, error_code: str, findings: Findings) -> Point:
    """Parse ``lat,lon`` in WGS 84 decimal degrees, checking ranges."""
    parts = text.split(",")
    if len(parts) != 2:
        raise CapError(error_code, f"{text!r} is not a lat,lon pair", location)
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_COORDINATE,
            f"{text!r} has a coordinate that is not a number",
            location,
        ) from exc
    return _in_range([lat], [lon], repr(text), location, findings)[0]


def _untidy_numbers(stripped: str, location: str, findings: Findings) -> list[float]:
    """The numbers of a polygon that is not canonical ``lat,lon lat,lon ...``."""
    text = stripped
    stray: CapError | None = None
    if _POLYGON_CHARACTERS.fullmatch(text) is None:
        stray = CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon {stripped[:120]!r} holds characters other than numbers, ',' and spaces",
            location,
        )
        text = _STRAY_SEPARATORS.sub(" ", text)
        if findings.strict or _POLYGON_CHARACTERS.fullmatch(text) is None:
            raise stray  # letters or other characters: no safe reading
    tokens = [token for token in _SEPARATORS.split(_SIGN_SPACE.sub(r"\1", text)) if token]
    if len(tokens) % 2:
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon {stripped[:120]!r} has an odd count of numbers ({len(tokens)})",
            location,
        )
    if stray is not None:
        findings.tolerate(stray, errors.WARN_STRAY_CHARACTERS, "read as separators")
    else:
        findings.warn(
            errors.WARN_COORDINATE_FORMAT,
            f"polygon {stripped[:60]!r}... is not 'lat,lon lat,lon ...'; read number by number",
            location,
        )
    try:
        return [float(token) for token in tokens]
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_POLYGON, f"polygon {stripped[:120]!r}: {exc}", location
        ) from exc


def _polygon_points(text: str, location: str, findings: Findings) -> tuple[Point, ...]:
    """Read the points of a polygon, tolerating stray spaces/commas between numbers."""
    stripped = text.strip()
    if _CANONICAL_POLYGON.fullmatch(stripped) is not None:
        # The regex guarantees numbers in pairs; only ranges remain to check.
        numbers = list(map(float, stripped.replace(",", " ").split()))
    else:
        numbers = _untidy_numbers(stripped, location, findings)
    if len(numbers) // 2 > findings.max_polygon_points:
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon has {len(numbers) // 2} points, more than the limit of "
            f"{findings.max_polygon_points}",
            location,
        )
    lats, lons = numbers[0::2], numbers[1::2]
    # Bulk check first (min/max run in C): polygons hold hundreds of points and are nearly
    # always in range. The numbers come from digits, signs and dots only, so none is NaN
    # (which min/max would skip).
    in_range = (
        lats
        and min(lats) >= -90.0
        and max(lats) <= 90.0
        and min(lons) >= -180.0
        and max(lons) <= 180.0
    )
    if in_range:
        return tuple(map(Point, lats, lons))
    return _in_range(lats, lons, f"polygon {stripped[:120]!r}", location, findings)


def _read_polygon(text: str, location: str, findings: Findings) -> Polygon:
    points = _polygon_points(text, location, findings)
    if len(points) < 4:
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon has {len(points)} points, CAP needs at least 4: {text.strip()[:120]!r}",
            location,
        )
    if points[0] != points[-1]:
        first, last = points[0], points[-1]
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon is not closed: first {first.lat},{first.lon} != last {last.lat},{last.lon}",
            location,
        )
    return Polygon(points=points)


def parse_polygon(text: str, location: str, findings: Findings) -> Polygon | None:
    """A closed ring of at least four ``lat,lon`` points; ``None`` (warned) if empty or,
    under the real-world policy, if it has no safe reading (dropped from its area).
    """
    if not text.strip():
        findings.warn(errors.WARN_EMPTY_POLYGON, "<polygon> is empty; ignored", location)
        return None
    own = findings.fork()  # its warnings count only if the polygon is kept
    try:
        polygon = _read_polygon(text, location, own)
    except CapError as error:
        findings.tolerate(error, errors.WARN_GEOMETRY_DROPPED, f"polygon {_DROPPED}")
        return None
    findings.absorb(own)
    return polygon


def _read_circle(parts: list[str], text: str, location: str, findings: Findings) -> Circle:
    if len(parts) != 2:
        raise CapError(
            errors.CAP_INVALID_CIRCLE, f"{text.strip()!r} is not 'lat,lon radius'", location
        )
    center = parse_point(parts[0], location, errors.CAP_INVALID_CIRCLE, findings)
    try:
        radius = float(parts[1])
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_CIRCLE, f"radius {parts[1]!r} is not a number", location
        ) from exc
    if not math.isfinite(radius) or radius < 0:
        raise CapError(errors.CAP_INVALID_CIRCLE, f"radius {parts[1]!r} must be ≥ 0", location)
    return Circle(center=center, radius_km=radius)


def parse_circle(text: str, location: str, findings: Findings) -> Circle | None:
    """``lat,lon radius`` (radius in km, ≥ 0); ``None`` (warned) if empty or, under the
    real-world policy, if it has no safe reading (dropped from its area).
    """
    parts = _COMMA_WITH_SPACES.sub(",", text.strip()).split()
    if not parts:
        findings.warn(errors.WARN_EMPTY_POLYGON, "<circle> is empty; ignored", location)
        return None
    own = findings.fork()
    try:
        circle = _read_circle(parts, text, location, own)
    except CapError as error:
        findings.tolerate(error, errors.WARN_GEOMETRY_DROPPED, f"circle {_DROPPED}")
        return None
    findings.absorb(own)
    return circle
