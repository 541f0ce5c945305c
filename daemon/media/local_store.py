"""Media store on a local directory, served by the daemon's own HTTP server under ``/media/``.

The embedded default: files are written as ``<dir>/<sha256>.<ext>`` and fetched from
``<base_url>/<sha256>.<ext>``. Writes go to a temporary file in the same directory
and are renamed into place, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from aiohttp import web

from daemon.media.naming import (
    MEDIA_TYPES,
    InvalidMediaError,
    check_media_type,
    content_name,
    stored_name_extension,
)
from daemon.media.store import MediaStoreError, StoredObject

# Content never changes under a content-addressed name, so clients may cache forever.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_ROUTE = "/media/{name}"
_TEMP_PREFIX = ".partial-"


class LocalStoreError(MediaStoreError):
    """Writing a file into the media directory failed; ``path`` names the file."""

    def __init__(self, path: Path, cause: OSError) -> None:
        self.path = path
        super().__init__(f"cannot store media file {str(path)!r}: {cause}")


class LocalDirectoryStore:
    """Content-addressed media files in one directory, published under ``base_url``."""

    def __init__(self, directory: Path, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidMediaError("base_url", base_url, "must be an http:// or https:// URL")
        self.directory = directory
        self.base_url = base_url.rstrip("/")
        self.files_written = 0  # actual writes, not counting idempotent repeats

    async def put(self, data: bytes, content_type: str, extension: str) -> StoredObject:
        """Write ``data`` as ``<sha256>.<extension>`` unless an identical file is already there."""
        check_media_type(content_type, extension)
        if extension not in MEDIA_TYPES:
            # Served by file name, so only types we can announce correctly are accepted.
            raise InvalidMediaError(
                "extension", extension, f"the local store serves only {sorted(MEDIA_TYPES)}"
            )
        name = content_name(data, extension)
        path = self.directory / name.file_name
        written = await asyncio.to_thread(self._write_if_absent, path, data)
        if written:
            self.files_written += 1
        return StoredObject(
            key=name.file_name,
            url=self.url_for(name.file_name),
            sha256=name.sha256,
            size=name.size,
            content_type=MEDIA_TYPES[extension],
        )

    def url_for(self, key: str) -> str:
        """The URL of a stored file name (local URLs never expire)."""
        return f"{self.base_url}/{key}"

    async def close(self) -> None:
        """Nothing to release: every write opens and closes its own file."""

    def _write_if_absent(self, path: Path, data: bytes) -> bool:
        try:
            if path.is_file() and path.stat().st_size == len(data):
                # Same name means same sha256; the size check guards against a file
                # truncated by something outside this store.
                return False
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temp_name = tempfile.mkstemp(
                dir=self.directory, prefix=_TEMP_PREFIX, suffix=path.suffix
            )
            temp_path = Path(temp_name)
            try:
                with os.fdopen(descriptor, "wb") as temp_file:
                    temp_file.write(data)
                    temp_file.flush()
                    os.fsync(temp_file.fileno())
                # mkstemp creates 0600; media are public, readable by the web server.
                temp_path.chmod(0o644)
                os.replace(temp_path, path)
            except BaseException:
                temp_path.unlink(missing_ok=True)
                raise
        except OSError as error:
            raise LocalStoreError(path, error) from error
        return True


def media_routes(directory: Path) -> list[web.RouteDef]:
    """aiohttp routes serving the files of ``directory`` at ``GET /media/{name}``.

    Only content-addressed names are served (anything else is a 404 before the file
    system is touched), with the Content-Type of their extension and immutable caching.
    """
    root = directory.resolve()

    async def serve_media(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        extension = stored_name_extension(name)
        if extension is None or extension not in MEDIA_TYPES:
            raise web.HTTPNotFound(text=f"no media named {name!r}")
        path = root / name
        # The name pattern already excludes separators and dots-only names; this also
        # refuses a symlink planted in the directory that points elsewhere.
        if not path.resolve().is_relative_to(root) or not path.is_file():
            raise web.HTTPNotFound(text=f"no media named {name!r}")
        return web.FileResponse(
            path,
            headers={
                "Content-Type": MEDIA_TYPES[extension],
                "Cache-Control": IMMUTABLE_CACHE_CONTROL,
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [web.get(MEDIA_ROUTE, serve_media)]
