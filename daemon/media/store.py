"""Where rendered media go: the interface shared by the local-directory and S3 backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One stored file. ``key`` is content-addressed: ``<prefix><sha256>.<extension>``."""

    key: str
    url: str
    sha256: str
    size: int
    content_type: str


class MediaStore(Protocol):
    """Stores bytes under a content-addressed key and returns a URL a client can fetch."""

    async def put(self, data: bytes, content_type: str, extension: str) -> StoredObject:
        """Store ``data`` (idempotent: the same bytes give the same key and URL)."""
        ...

    def url_for(self, key: str) -> str:
        """A URL for a stored ``key`` valid from now (presigned URLs are signed afresh)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MediaStoreError(Exception):
    """Storing media failed for a reason other than bad input (disk, network, permissions).

    Every backend raises a subclass naming where it tried to write, so the daemon can
    turn any backend's failure into a ``failed`` record with a readable reason.
    """
