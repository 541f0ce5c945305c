"""CAP value rules: enumerations, references, polygons, circles, coordinates, numbers.

Each function checks one kind of CAP value and either returns the typed value, raises
``CapError`` (the alert is refused), or appends a warning ``Issue`` to ``warnings`` (the
alert is kept: a profile-level oddity such as an empty polygon or a deprecated value).
Every message names the offending value; ``location`` is the element path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from cap import errors
from cap.datetimes import parse_cap_datetime
from cap.errors import CapError
from cap.model import Circle, Issue, Point, Polygon, Reference

# Values older CAP versions allowed that CAP 1.2 replaced: old -> CAP 1.2 spelling.
DEPRECATED_CERTAINTIES: Mapping[str, str] = {"Very Likely": "Likely"}

# RFC 3066 language tag, as CAP's <language> requires.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# CAP 1.2 §3.2.1: identifier and sender must not contain spaces, commas, '<' or '&'.
_FORBIDDEN_IN_ID = re.compile(r"[\s,<&]")
# Some feeds write "lat, lon"; the pair is still unambiguous, so the space is dropped.
_COMMA_WITH_SPACES = re.compile(r"\s*,\s*")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_CANONICAL_POLYGON = re.compile(rf"{_NUMBER},{_NUMBER}(?:\s+{_NUMBER},{_NUMBER})*")
_POLYGON_CHARACTERS = re.compile(r"[0-9.,+\-\s]*")
_SIGN_SPACE = re.compile(r"([+-])\s+")
_SEPARATORS = re.compile(r"[\s,]+")


def check_enum(
    value: str,
    allowed: tuple[str, ...],
    location: str,
    warnings: list[Issue],
    deprecated: Mapping[str, str] | None = None,
) -> str:
    """Return ``value`` if it is in ``allowed`` (or a deprecated alias, mapped with a warning)."""
    if value in allowed:
        return value
    if deprecated is not None and value in deprecated:
        replacement = deprecated[value]
        warnings.append(
            Issue(
                errors.WARN_DEPRECATED_VALUE,
                f"{value!r} is deprecated; read as {replacement!r}",
                location,
            )
        )
        return replacement
    raise CapError(
        errors.CAP_INVALID_ENUM,
        f"{value!r} is not one of {', '.join(allowed)}",
        location,
    )


def check_identifier(value: str, location: str, warnings: list[Issue]) -> str:
    """Warn on identifiers/senders with characters CAP forbids in them.

    Real senders such as ``Vendor generated`` (OASIS EDXL-DE example) break the rule, yet
    the message is still identifiable, so this is a warning rather than a refusal.
    """
    bad = _FORBIDDEN_IN_ID.search(value)
    if bad is not None:
        warnings.append(
            Issue(
                errors.WARN_IDENTIFIER_CHARACTERS,
                f"{value!r} contains {bad.group()!r}, which CAP forbids here",
                location,
            )
        )
    return value


def check_language(value: str, location: str, warnings: list[Issue]) -> str:
    """Warn (not refuse) on a language that is no RFC 3066 tag, e.g. ``en_US``."""
    if _LANGUAGE_TAG.fullmatch(value) is None:
        warnings.append(
            Issue(errors.WARN_INVALID_LANGUAGE, f"{value!r} is not an RFC 3066 tag", location)
        )
    return value


def parse_references(
    text: str, location: str, warnings: list[Issue], cap_version: str
) -> tuple[Reference, ...]:
    """Parse whitespace-separated ``sender,identifier,sent`` triples."""
    entries = text.split()
    if not entries:
        warnings.append(Issue(errors.WARN_EMPTY_ELEMENT, "<references> is empty", location))
        return ()
    references: list[Reference] = []
    for entry in entries:
        parts = entry.split(",")
        if len(parts) != 3 and cap_version == "1.0" and "," not in entry:
            # CAP 1.0 feeds sometimes list bare identifiers; they cannot be matched to a
            # (sender, identifier, sent) key, so they are reported rather than kept.
            warnings.append(
                Issue(
                    errors.WARN_DEPRECATED_VALUE,
                    f"CAP 1.0 reference {entry!r} is not a sender,identifier,sent triple; ignored",
                    location,
                )
            )
            continue
        if len(parts) != 3 or not all(parts):
            raise CapError(
                errors.CAP_INVALID_REFERENCE,
                f"{entry!r} is not a sender,identifier,sent triple",
                location,
            )
        sender, identifier, sent_text = parts
        try:
            sent = parse_cap_datetime(sent_text, location)
        except CapError as exc:
            raise CapError(
                errors.CAP_INVALID_REFERENCE,
                f"{entry!r} has an invalid sent date-time: {exc.message}",
                location,
            ) from exc
        if sent.used_z:
            warnings.append(
                Issue(errors.WARN_DATETIME_UTC_Z, f"reference {entry!r} uses 'Z'", location)
            )
        references.append(Reference(sender=sender, identifier=identifier, sent=sent.value))
    return tuple(references)


def parse_number(text: str, location: str, what: str) -> float:
    """Parse a finite decimal number."""
    try:
        value = float(text)
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_NUMBER, f"{what} {text!r} is not a number", location
        ) from exc
    if not math.isfinite(value):
        raise CapError(errors.CAP_INVALID_NUMBER, f"{what} {text!r} is not finite", location)
    return value


def parse_point(text: str, location: str, error_code: str) -> Point:
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
    if not (-90.0 <= lat <= 90.0) or math.isnan(lat):
        raise CapError(errors.CAP_INVALID_COORDINATE, f"latitude {lat!r} in {text!r}", location)
    if not (-180.0 <= lon <= 180.0) or math.isnan(lon):
        raise CapError(errors.CAP_INVALID_COORDINATE, f"longitude {lon!r} in {text!r}", location)
    return Point(lat=lat, lon=lon)


def _polygon_points(text: str, location: str, warnings: list[Issue]) -> tuple[Point, ...]:
    """Read the points of a polygon, tolerating stray spaces/commas between numbers.

    Canonical CAP is ``lat,lon lat,lon ...``. Real feeds write ``-118.09, +40.86`` or
    ``- 112.1174``; the numbers are still unambiguous, so they are read in pairs with a
    warning. Anything that is not numbers, signs, commas and spaces is refused.
    """
    stripped = text.strip()
    if _CANONICAL_POLYGON.fullmatch(stripped) is not None:
        # The regex guarantees numbers in pairs; only ranges remain to check.
        numbers = list(map(float, stripped.replace(",", " ").split()))
        return _points_in_range(numbers[0::2], numbers[1::2], stripped, location)
    if _POLYGON_CHARACTERS.fullmatch(stripped) is None:
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon {stripped[:120]!r} holds characters other than numbers, ',' and spaces",
            location,
        )
    tokens = [token for token in _SEPARATORS.split(_SIGN_SPACE.sub(r"\1", stripped)) if token]
    if len(tokens) % 2:
        raise CapError(
            errors.CAP_INVALID_POLYGON,
            f"polygon {stripped[:120]!r} has an odd count of numbers ({len(tokens)})",
            location,
        )
    warnings.append(
        Issue(
            errors.WARN_COORDINATE_FORMAT,
            f"polygon {stripped[:60]!r}... is not 'lat,lon lat,lon ...'; read number by number",
            location,
        )
    )
    try:
        values = [float(token) for token in tokens]
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_POLYGON, f"polygon {stripped[:120]!r}: {exc}", location
        ) from exc
    return _points_in_range(values[0::2], values[1::2], stripped, location)


def _points_in_range(
    lats: list[float], lons: list[float], text: str, location: str
) -> tuple[Point, ...]:
    # Bulk check first (min/max run in C): polygons hold hundreds of points and are nearly
    # always in range. The numbers come from digits, signs and dots only, so none is NaN
    # (which min/max would skip); the loop below names the first bad point when one fails.
    in_range = (
        lats
        and min(lats) >= -90.0
        and max(lats) <= 90.0
        and min(lons) >= -180.0
        and max(lons) <= 180.0
    )
    if in_range:
        return tuple(map(Point, lats, lons))
    for lat, lon in zip(lats, lons, strict=True):
        if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
            bad = f"latitude {lat!r}" if not -90.0 <= lat <= 90.0 else f"longitude {lon!r}"
            raise CapError(
                errors.CAP_INVALID_COORDINATE, f"{bad} in polygon {text[:120]!r}", location
            )
    return tuple(map(Point, lats, lons))


def parse_polygon(text: str, location: str, warnings: list[Issue]) -> Polygon | None:
    """Parse a closed ring of at least four ``lat,lon`` points; ``None`` (warned) if empty."""
    if not text.strip():
        warnings.append(Issue(errors.WARN_EMPTY_POLYGON, "<polygon> is empty; ignored", location))
        return None
    points = _polygon_points(text, location, warnings)
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


def parse_circle(text: str, location: str, warnings: list[Issue]) -> Circle | None:
    """Parse ``lat,lon radius`` (radius in km, ≥ 0); ``None`` (warned) if empty."""
    parts = _COMMA_WITH_SPACES.sub(",", text.strip()).split()
    if not parts:
        warnings.append(Issue(errors.WARN_EMPTY_POLYGON, "<circle> is empty; ignored", location))
        return None
    if len(parts) != 2:
        raise CapError(
            errors.CAP_INVALID_CIRCLE, f"{text.strip()!r} is not 'lat,lon radius'", location
        )
    center = parse_point(parts[0], location, errors.CAP_INVALID_CIRCLE)
    try:
        radius = float(parts[1])
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_CIRCLE, f"radius {parts[1]!r} is not a number", location
        ) from exc
    if not math.isfinite(radius) or radius < 0:
        raise CapError(errors.CAP_INVALID_CIRCLE, f"radius {parts[1]!r} must be ≥ 0", location)
    return Circle(center=center, radius_km=radius)
