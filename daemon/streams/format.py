"""Read and write recorded streams (``cinealert.stream/1``, see docs/recorded-streams.md).

Reading validates the whole file before anything is produced: any bad line raises
:class:`StreamFormatError` with the file and line number, and nothing is skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

FORMAT = "cinealert.stream/1"
_MESSAGE_FIELDS = frozenset({"t", "key", "key_b64", "headers", "value", "value_b64"})


class StreamFormatError(ValueError):
    """A recorded-stream line breaks the format; names the file and 1-based line."""

    def __init__(self, path: Path | str, line_number: int, problem: str) -> None:
        self.path = str(path)
        self.line_number = line_number
        self.problem = problem
        super().__init__(f"{path}:{line_number}: {problem}")


@dataclass(frozen=True)
class StreamHeader:
    """The optional first line: description, recording time and any further metadata."""

    description: str | None = None
    recorded_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamMessage:
    """One message: seconds since the start, key, headers and value (None = tombstone)."""

    t: float
    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class RecordedStream:
    """A whole file: its header (if any) and its messages in order."""

    header: StreamHeader | None
    messages: list[StreamMessage]


# ---------------------------------------------------------------------------
# reading


def read_stream(path: Path) -> RecordedStream:
    """Parse and validate every line of ``path``; raise StreamFormatError on the first bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise StreamFormatError(path, 0, f"file is not UTF-8: {error}") from error
    header: StreamHeader | None = None
    messages: list[StreamMessage] = []
    previous_t = 0.0
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            raise StreamFormatError(path, number, f"not valid JSON: {error.msg}") from error
        if not isinstance(document, dict):
            raise StreamFormatError(path, number, "a line must be a JSON object")
        if "format" in document:
            if number != 1:
                raise StreamFormatError(path, number, "a header is allowed on the first line only")
            header = _header_from(document, path, number)
            continue
        message = _message_from(document, path, number)
        if message.t < previous_t:
            raise StreamFormatError(
                path, number, f"t={message.t} is earlier than the previous line's t={previous_t}"
            )
        previous_t = message.t
        messages.append(message)
    return RecordedStream(header=header, messages=messages)


def _header_from(document: dict[str, Any], path: Path, number: int) -> StreamHeader:
    if document["format"] != FORMAT:
        raise StreamFormatError(path, number, f"format {document['format']!r} is not {FORMAT!r}")
    description = document.get("description")
    recorded_at = document.get("recorded_at")
    for name, value in (("description", description), ("recorded_at", recorded_at)):
        if value is not None and not isinstance(value, str):
            raise StreamFormatError(path, number, f"header {name} must be a string, not {value!r}")
    extra = {k: v for k, v in document.items() if k not in ("format", "description", "recorded_at")}
    return StreamHeader(description=description, recorded_at=recorded_at, extra=extra)


def _message_from(document: dict[str, Any], path: Path, number: int) -> StreamMessage:
    unknown = sorted(set(document) - _MESSAGE_FIELDS)
    if unknown:
        raise StreamFormatError(path, number, f"unknown fields {unknown}")
    t = document.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        raise StreamFormatError(path, number, f"t must be a number >= 0, not {t!r}")
    key = _text_or_b64(document, "key", path, number, required=False)
    if "value" not in document and "value_b64" not in document:
        raise StreamFormatError(path, number, "needs exactly one of value / value_b64")
    value = _text_or_b64(document, "value", path, number, required=True)
    return StreamMessage(
        t=float(t), key=key, value=value, headers=_headers_from(document, path, number)
    )


def _text_or_b64(
    document: dict[str, Any], name: str, path: Path, number: int, *, required: bool
) -> bytes | None:
    has_text, has_b64 = name in document, f"{name}_b64" in document
    if has_text and has_b64:
        raise StreamFormatError(path, number, f"has both {name} and {name}_b64")
    if has_b64:
        encoded = document[f"{name}_b64"]
        if not isinstance(encoded, str):
            raise StreamFormatError(path, number, f"{name}_b64 must be a string")
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise StreamFormatError(path, number, f"{name}_b64 is not base64: {error}") from error
    if not has_text:
        if required:
            raise StreamFormatError(path, number, f"missing {name}")
        return None
    text = document[name]
    if text is None:
        return None
    if not isinstance(text, str):
        raise StreamFormatError(path, number, f"{name} must be a string or null, not {text!r}")
    return text.encode("utf-8")


def _headers_from(
    document: dict[str, Any], path: Path, number: int
) -> tuple[tuple[str, bytes], ...]:
    raw = document.get("headers", [])
    if not isinstance(raw, list):
        raise StreamFormatError(path, number, f"headers must be a list, not {raw!r}")
    headers: list[tuple[str, bytes]] = []
    for pair in raw:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(part, str) for part in pair)
        ):
            raise StreamFormatError(path, number, f"header {pair!r} is not a [name, value] pair")
        headers.append((pair[0], pair[1].encode("utf-8")))
    return tuple(headers)


# ---------------------------------------------------------------------------
# writing


def header_line(header: StreamHeader) -> str:
    """The JSON line for a header."""
    document: dict[str, Any] = {"format": FORMAT}
    if header.description is not None:
        document["description"] = header.description
    if header.recorded_at is not None:
        document["recorded_at"] = header.recorded_at
    document.update(header.extra)
    return json.dumps(document, ensure_ascii=False)


def message_line(message: StreamMessage) -> str:
    """The JSON line for a message; bytes that are not UTF-8 go out as base64.

    Raises ValueError for a header value that is not UTF-8 (the format holds text only).
    """
    document: dict[str, Any] = {"t": round(message.t, 6)}
    document.update(_encode_bytes("key", message.key))
    headers: list[list[str]] = []
    for name, value in message.headers:
        try:
            headers.append([name, value.decode("utf-8")])
        except UnicodeDecodeError as error:
            raise ValueError(f"header {name!r} value {value!r} is not UTF-8") from error
    document["headers"] = headers
    document.update(_encode_bytes("value", message.value))
    return json.dumps(document, ensure_ascii=False)


def _encode_bytes(name: str, data: bytes | None) -> dict[str, str | None]:
    if data is None:
        return {name: None}
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_b64": base64.b64encode(data).decode("ascii")}


def write_stream(
    handle: TextIO, messages: Iterable[StreamMessage], header: StreamHeader | None = None
) -> int:
    """Write a header (if given) and the messages as JSON lines; return how many messages."""
    if header is not None:
        handle.write(header_line(header) + "\n")
    count = 0
    for message in messages:
        handle.write(message_line(message) + "\n")
        count += 1
    return count
