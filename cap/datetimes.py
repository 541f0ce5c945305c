"""CAP date-times: ``YYYY-MM-DDThh:mm:ss`` with a mandatory ``±hh:mm`` zone.

CAP 1.2 §3.3.2 forbids the ``Z`` designator (``-00:00`` stands for UTC). Real feeds send
``Z`` anyway; it is unambiguous, so it is accepted with a warning rather than refused.
A date-time without any zone is refused: guessing the zone would move the alert in time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cap import errors
from cap.errors import CapError

_CAP_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})"
)
_MAX_OFFSET = timedelta(hours=14)


@dataclass(frozen=True, slots=True)
class ParsedDateTime:
    """A parsed CAP date-time, and whether it used the non-CAP ``Z`` designator."""

    value: datetime
    used_z: bool


def parse_cap_datetime(text: str, location: str) -> ParsedDateTime:
    """Parse one CAP date-time; raise ``CapError(cap.invalid_datetime)`` naming ``text``."""
    stripped = text.strip()
    match = _CAP_DATETIME.fullmatch(stripped)
    if match is None:
        raise CapError(
            errors.CAP_INVALID_DATETIME,
            f"{stripped!r} is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm)",
            location,
        )
    zone = match["zone"]
    used_z = zone == "Z"
    fraction = match["fraction"] or ""
    # Python's fromisoformat takes at most microseconds; CAP allows none, feeds send some.
    fraction = fraction[:7]
    iso = f"{match['date']}T{match['time']}{fraction}{'+00:00' if used_z else zone}"
    try:
        value = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_DATETIME, f"{stripped!r} is not a real date-time: {exc}", location
        ) from exc
    offset = value.utcoffset()
    if offset is None or abs(offset) > _MAX_OFFSET:
        raise CapError(
            errors.CAP_INVALID_DATETIME, f"{stripped!r} has an impossible zone offset", location
        )
    return ParsedDateTime(value=value, used_z=used_z)


def format_cap_datetime(value: datetime) -> str:
    """Format an aware datetime as ISO-8601 with an explicit offset (``+00:00`` for UTC)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be formatted with an offset")
    if value.utcoffset() == timedelta(0):
        value = value.astimezone(UTC)
    return value.isoformat()
