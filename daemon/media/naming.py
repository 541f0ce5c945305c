"""How stored media are named and typed, shared by every media store backend.

Names are content-addressed, ``<sha256>.<extension>``: the same bytes always land
under the same name, so a repeated upload is a no-op and a URL never changes meaning
(which is what makes long-lived, immutable HTTP caching safe).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from types import MappingProxyType

# Formats the pipeline writes (animations, poster, alt-text/report) and the one
# Content-Type each is served with. A backend that serves by file name (the local
# directory) can only serve these; S3 keeps the type with the object.
MEDIA_TYPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "gif": "image/gif",
        "webp": "image/webp",
        "mp4": "video/mp4",
        "webm": "video/webm",
        "png": "image/png",
        "jpg": "image/jpeg",
        "json": "application/json",
        "txt": "text/plain; charset=utf-8",
    }
)

_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
_CONTENT_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+(; *[a-z0-9_-]+=[a-z0-9_.-]+)*$")
_STORED_NAME = re.compile(r"^(?P<sha256>[0-9a-f]{64})\.(?P<extension>[a-z0-9]{1,8})$")


class InvalidMediaError(ValueError):
    """A put was asked with an extension or content type that cannot be stored as given."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}={value!r}: {problem}")


@dataclass(frozen=True, slots=True)
class ContentName:
    """The content address of one blob: its digest, size and file name."""

    sha256: str
    size: int
    extension: str

    @property
    def file_name(self) -> str:
        """``<sha256>.<extension>``: the name (or key suffix) the blob is stored under."""
        return f"{self.sha256}.{self.extension}"


def check_media_type(content_type: str, extension: str) -> None:
    """Refuse a malformed extension or content type, or a pair that contradicts itself.

    A known extension must come with its own content type (a GIF announced as
    ``video/mp4`` is a caller bug that would otherwise be published to clients).
    """
    if not _EXTENSION.fullmatch(extension):
        raise InvalidMediaError(
            "extension", extension, "must be 1-8 lower-case letters or digits, without a dot"
        )
    if not _CONTENT_TYPE.fullmatch(content_type.lower()):
        raise InvalidMediaError("content_type", content_type, "is not a type/subtype media type")
    expected = MEDIA_TYPES.get(extension)
    if expected is not None and content_type.lower() != expected:
        raise InvalidMediaError(
            "content_type", content_type, f"does not match extension {extension!r} ({expected})"
        )


def content_name(data: bytes, extension: str) -> ContentName:
    """Hash ``data`` and give the content-addressed name it is stored under."""
    return ContentName(sha256=hashlib.sha256(data).hexdigest(), size=len(data), extension=extension)


def stored_name_extension(name: str) -> str | None:
    """The extension of a content-addressed file name, or None if ``name`` is not one.

    Anything else (``..``, separators, upper case, other files) is refused here, which is
    what keeps a name taken from a URL from reaching outside the media directory.
    """
    match = _STORED_NAME.fullmatch(name)
    return None if match is None else match["extension"]
