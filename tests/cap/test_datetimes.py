"""CAP date-time parsing and formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cap import errors
from cap.datetimes import format_cap_datetime, parse_cap_datetime
from cap.errors import CapError


@pytest.mark.parametrize(
    ("text", "expected", "used_z"),
    [
        ("2026-11-23T01:02:03+09:00", datetime(2026, 11, 22, 16, 2, 3, tzinfo=UTC), False),
        ("2026-11-23T01:02:03-00:00", datetime(2026, 11, 23, 1, 2, 3, tzinfo=UTC), False),
        ("2026-11-23T01:02:03Z", datetime(2026, 11, 23, 1, 2, 3, tzinfo=UTC), True),
        ("  2026-11-23T01:02:03-05:30\n", datetime(2026, 11, 23, 6, 32, 3, tzinfo=UTC), False),
        (
            "2026-11-23T01:02:03.123456789+00:00",
            datetime(2026, 11, 23, 1, 2, 3, 123456, tzinfo=UTC),
            False,
        ),
    ],
)
def test_valid_datetimes(text: str, expected: datetime, used_z: bool) -> None:
    parsed = parse_cap_datetime(text, "/alert/sent")
    assert parsed.value == expected
    assert parsed.used_z is used_z
    assert parsed.value.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T01:02:03",  # no zone
        "2026-11-23 01:02:03+00:00",  # space instead of T
        "2026-11-23T01:02+00:00",  # no seconds
        "2026-13-01T00:00:00+00:00",  # month 13
        "2026-11-23T25:00:00+00:00",  # hour 25
        "2026-11-23T01:02:03+1400",  # zone without colon
        "2026-11-23T01:02:03+14:30",  # beyond ±14:00
        "",
        "tomorrow",
    ],
)
def test_invalid_datetimes_name_the_value(text: str) -> None:
    with pytest.raises(CapError) as raised:
        parse_cap_datetime(text, "/alert/sent")
    assert raised.value.code == errors.CAP_INVALID_DATETIME
    assert repr(text.strip()) in raised.value.message
    assert raised.value.location == "/alert/sent"


def test_format_keeps_the_offset() -> None:
    value = datetime(2026, 11, 23, 1, 2, 3, tzinfo=timezone(timedelta(hours=9)))
    assert format_cap_datetime(value) == "2026-11-23T01:02:03+09:00"
    assert format_cap_datetime(value.astimezone(UTC)) == "2026-11-22T16:02:03+00:00"


def test_format_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_cap_datetime(datetime(2026, 1, 1))
