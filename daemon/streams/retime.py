"""Shift the CAP date-times of recorded messages so a bundled stream is "live" again.

Every ``<sent>``, ``<effective>``, ``<onset>`` and ``<expires>`` element (any namespace
prefix) and the ``sent`` part of each ``<references>`` triple move by one offset, so
Update/Cancel chains keep pointing at the alerts they reference. The text is edited in
place: the zone suffix (``+09:00``, ``-00:00``) and everything else stay byte for byte.
Values that are not CAP date-times (malformed test messages) are left alone and
counted, so the caller can report them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from daemon.streams.format import StreamMessage

_DATE_ELEMENT = re.compile(
    r"(?P<open><(?P<prefix>[A-Za-z_][\w.-]*:)?(?P<name>sent|effective|onset|expires)\s*>)"
    r"(?P<body>[^<]*)"
    r"(?P<close></(?P=prefix)?(?P=name)\s*>)"
)
_REFERENCES_ELEMENT = re.compile(
    r"(?P<open><(?P<prefix>[A-Za-z_][\w.-]*:)?references\s*>)"
    r"(?P<body>[^<]*)"
    r"(?P<close></(?P=prefix)?references\s*>)"
)
# CAP date-time: YYYY-MM-DDThh:mm:ss, optional fraction, then a zone (+hh:mm, -hh:mm or Z).
_CAP_DATETIME = re.compile(
    r"^(?P<local>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>[+-]\d{2}:\d{2}|Z)$"
)
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class RetimeResult:
    """The rewritten value, how many date-times moved and which texts did not parse."""

    value: bytes
    shifted: int
    untouched: tuple[str, ...]


@dataclass(frozen=True)
class RetimeSummary:
    """Totals over a whole stream."""

    shifted: int
    untouched: tuple[str, ...]


def _match_cap_datetime(text: str) -> tuple[re.Match[str], datetime] | None:
    match = _CAP_DATETIME.match(text)
    if match is None:
        return None
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    try:
        moment = datetime.fromisoformat(match["local"] + (match["fraction"] or "") + zone)
    except ValueError:
        return None  # e.g. month 13: looks like a date-time, is not one
    return match, moment


def parse_cap_datetime(text: str) -> datetime | None:
    """A timezone-aware datetime for a CAP date-time string, or None if it is not one."""
    found = _match_cap_datetime(text.strip())
    return found[1] if found is not None else None


def shift_cap_datetime(text: str, offset: timedelta) -> str | None:
    """``text`` moved by ``offset`` in its own zone and spelling, or None if not a date-time."""
    stripped = text.strip()
    found = _match_cap_datetime(stripped)
    if found is None:
        return None
    match, moment = found
    moved = moment + offset  # same tzinfo, so the local time is in the original zone
    fraction = match["fraction"]
    fraction_text = f".{moved.microsecond:06d}"[: len(fraction)] if fraction else ""
    replaced = moved.strftime("%Y-%m-%dT%H:%M:%S") + fraction_text + match["zone"]
    # Keep surrounding whitespace exactly as it was.
    start = text.index(stripped)
    return text[:start] + replaced + text[start + len(stripped) :]


def first_sent(value: bytes) -> datetime | None:
    """The first parseable ``<sent>`` in a message value, if any."""
    for match in _DATE_ELEMENT.finditer(value.decode("latin-1")):
        if match["name"] == "sent":
            moment = parse_cap_datetime(match["body"])
            if moment is not None:
                return moment
    return None


def retime_value(value: bytes, offset: timedelta) -> RetimeResult:
    """Shift every CAP date-time in ``value`` by ``offset`` (see the module docstring)."""
    # latin-1 maps every byte to one character and back, so bytes that are not
    # date-times (UTF-8 text, or deliberately broken input) come back unchanged.
    text = value.decode("latin-1")
    shifted = 0
    untouched: list[str] = []

    def replace_element(match: re.Match[str]) -> str:
        nonlocal shifted
        moved = shift_cap_datetime(match["body"], offset)
        if moved is None:
            untouched.append(match["body"])
            return match.group(0)
        shifted += 1
        return match["open"] + moved + match["close"]

    def replace_references(match: re.Match[str]) -> str:
        nonlocal shifted

        def replace_triple(token: re.Match[str]) -> str:
            nonlocal shifted
            parts = token.group(0).split(",")
            moved = shift_cap_datetime(parts[-1], offset) if len(parts) == 3 else None
            if moved is None:
                untouched.append(token.group(0))
                return token.group(0)
            shifted += 1
            return ",".join([*parts[:-1], moved])

        return match["open"] + _TOKEN.sub(replace_triple, match["body"]) + match["close"]

    text = _DATE_ELEMENT.sub(replace_element, text)
    text = _REFERENCES_ELEMENT.sub(replace_references, text)
    return RetimeResult(value=text.encode("latin-1"), shifted=shifted, untouched=tuple(untouched))


def retime_messages(
    messages: list[StreamMessage], now: datetime
) -> tuple[list[StreamMessage], RetimeSummary | None, timedelta]:
    """Shift all messages so the first alert's ``sent`` becomes ``now``.

    Returns the new messages, a summary (total shifted, every untouched text; None when
    no message holds a ``sent``) and the offset applied.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    anchor = next(
        (moment for m in messages if m.value is not None and (moment := first_sent(m.value))),
        None,
    )
    if anchor is None:
        return list(messages), None, timedelta(0)
    # Whole seconds: CAP date-times usually carry none, and a fraction would look odd.
    offset = timedelta(seconds=round((now - anchor).total_seconds()))
    retimed: list[StreamMessage] = []
    shifted = 0
    untouched: list[str] = []
    for message in messages:
        if message.value is None:
            retimed.append(message)
            continue
        result = retime_value(message.value, offset)
        shifted += result.shifted
        untouched.extend(result.untouched)
        retimed.append(
            StreamMessage(t=message.t, key=message.key, headers=message.headers, value=result.value)
        )
    return retimed, RetimeSummary(shifted=shifted, untouched=tuple(untouched)), offset
