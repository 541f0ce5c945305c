"""The local-directory media store and its /media/ HTTP routes (a real aiohttp server)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from yarl import URL

from daemon.media.local_store import (
    IMMUTABLE_CACHE_CONTROL,
    LocalDirectoryStore,
    LocalStoreError,
    media_routes,
)
from daemon.media.naming import InvalidMediaError
from daemon.media.store import MediaStore, MediaStoreError


def _encode(image_format: str, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format=image_format)
    return buffer.getvalue()


GIF = _encode("GIF", (200, 30, 30))
WEBP = _encode("WEBP", (30, 30, 200))


def _store(directory: Path) -> LocalDirectoryStore:
    return LocalDirectoryStore(directory, "http://media.example/media/")


async def test_put_writes_content_addressed_file_and_returns_its_url(tmp_path: Path) -> None:
    store: MediaStore = _store(tmp_path)
    stored = await store.put(GIF, "image/gif", "gif")
    sha = hashlib.sha256(GIF).hexdigest()
    assert stored.key == f"{sha}.gif"
    assert stored.sha256 == sha
    assert stored.size == len(GIF)
    assert stored.content_type == "image/gif"
    assert stored.url == f"http://media.example/media/{sha}.gif"
    assert (tmp_path / f"{sha}.gif").read_bytes() == GIF


async def test_put_creates_a_missing_directory(tmp_path: Path) -> None:
    store = _store(tmp_path / "a" / "b")
    stored = await store.put(GIF, "image/gif", "gif")
    assert (tmp_path / "a" / "b" / stored.key).read_bytes() == GIF


async def test_same_bytes_are_written_once(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = await store.put(GIF, "image/gif", "gif")
    mtime = (tmp_path / first.key).stat().st_mtime_ns
    second = await store.put(GIF, "image/gif", "gif")
    assert second == first
    assert store.files_written == 1
    assert (tmp_path / first.key).stat().st_mtime_ns == mtime


async def test_different_bytes_get_different_keys(tmp_path: Path) -> None:
    store = _store(tmp_path)
    one = await store.put(GIF, "image/gif", "gif")
    two = await store.put(GIF + b"\x00", "image/gif", "gif")
    assert one.key != two.key
    assert store.files_written == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([one.key, two.key])


async def test_concurrent_puts_of_the_same_bytes_leave_one_whole_file(tmp_path: Path) -> None:
    store = _store(tmp_path)
    results = await asyncio.gather(*(store.put(GIF, "image/gif", "gif") for _ in range(8)))
    assert {result.key for result in results} == {results[0].key}
    assert [p.name for p in tmp_path.iterdir()] == [results[0].key]
    assert (tmp_path / results[0].key).read_bytes() == GIF


async def test_a_truncated_file_under_the_name_is_rewritten(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stored = await store.put(GIF, "image/gif", "gif")
    (tmp_path / stored.key).write_bytes(GIF[:5])
    await store.put(GIF, "image/gif", "gif")
    assert (tmp_path / stored.key).read_bytes() == GIF
    assert store.files_written == 2


async def test_written_files_are_world_readable_and_no_temp_file_remains(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stored = await store.put(WEBP, "image/webp", "webp")
    assert (tmp_path / stored.key).stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [stored.key]


async def test_failed_write_leaves_neither_the_file_nor_a_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    store = _store(tmp_path)
    with pytest.raises(LocalStoreError) as caught:
        await store.put(GIF, "image/gif", "gif")
    assert isinstance(caught.value, MediaStoreError)
    assert hashlib.sha256(GIF).hexdigest() in str(caught.value)
    assert "No space left" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_unwritable_directory_is_a_typed_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the media directory should be")
    store = _store(blocker)
    with pytest.raises(LocalStoreError) as caught:
        await store.put(GIF, "image/gif", "gif")
    assert str(blocker) in str(caught.value)


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [("image/gif", "bin"), ("video/mp4", "gif"), ("image/gif", "../x")],
)
async def test_bad_input_is_refused_before_writing(
    tmp_path: Path, content_type: str, extension: str
) -> None:
    store = _store(tmp_path)
    with pytest.raises(InvalidMediaError):
        await store.put(GIF, content_type, extension)
    assert list(tmp_path.iterdir()) == []


def test_base_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(InvalidMediaError) as caught:
        LocalDirectoryStore(tmp_path, "media.example/media")
    assert caught.value.value == "media.example/media"


@pytest.fixture
async def media_server(tmp_path: Path) -> AsyncIterator[tuple[TestServer, Path]]:
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    app = web.Application()
    app.add_routes(media_routes(media_dir))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, media_dir
    finally:
        await server.close()


async def _get(url: URL, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def test_served_file_has_its_content_type_and_immutable_caching(
    media_server: tuple[TestServer, Path],
) -> None:
    server, media_dir = media_server
    store = LocalDirectoryStore(media_dir, str(server.make_url("/media")))
    gif = await store.put(GIF, "image/gif", "gif")
    webp = await store.put(WEBP, "image/webp", "webp")
    for stored, body in ((gif, GIF), (webp, WEBP)):
        status, headers, received = await _get(URL(stored.url))
        assert status == 200
        assert received == body
        assert headers["Content-Type"] == stored.content_type
        assert headers["Cache-Control"] == IMMUTABLE_CACHE_CONTROL
        assert headers["X-Content-Type-Options"] == "nosniff"


async def test_head_answers_without_a_body(media_server: tuple[TestServer, Path]) -> None:
    server, media_dir = media_server
    stored = await LocalDirectoryStore(media_dir, str(server.make_url("/media"))).put(
        GIF, "image/gif", "gif"
    )
    status, headers, body = await _get(URL(stored.url), method="HEAD")
    assert status == 200
    assert headers["Content-Length"] == str(len(GIF))
    assert body == b""


async def test_missing_media_is_404(media_server: tuple[TestServer, Path]) -> None:
    server, _ = media_server
    missing = hashlib.sha256(b"never stored").hexdigest()
    status, _, _ = await _get(server.make_url(f"/media/{missing}.gif"))
    assert status == 404


@pytest.mark.parametrize(
    "raw_path",
    [
        "/media/..%2Fsecret.txt",
        "/media/..%2F..%2F..%2Fetc%2Fpasswd",
        "/media/%2E%2E%2Fsecret.txt",
        "/media/secret.txt",
        "/media/.partial-x.gif",
    ],
)
async def test_path_traversal_and_other_files_are_refused(
    media_server: tuple[TestServer, Path], raw_path: str
) -> None:
    server, media_dir = media_server
    (media_dir.parent / "secret.txt").write_text("top secret")
    (media_dir / "secret.txt").write_text("top secret")
    (media_dir / ".partial-x.gif").write_bytes(GIF)
    base = server.make_url("/")
    # encoded=True sends the path exactly as written, without client-side normalisation.
    url = URL(f"http://{base.host}:{base.port}{raw_path}", encoded=True)
    status, _, body = await _get(url)
    assert status == 404
    assert b"top secret" not in body
    assert body != GIF


async def test_symlink_out_of_the_directory_is_not_followed(
    media_server: tuple[TestServer, Path],
) -> None:
    server, media_dir = media_server
    outside = media_dir.parent / "outside.gif"
    outside.write_bytes(GIF)
    name = f"{hashlib.sha256(GIF).hexdigest()}.gif"
    (media_dir / name).symlink_to(outside)
    status, _, body = await _get(server.make_url(f"/media/{name}"))
    assert status == 404
    assert body != GIF
