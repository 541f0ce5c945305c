"""Retries with backoff: a server that is down at first, answers 503, or never comes back."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import urlsplit

import aiohttp
import pytest

from daemon.media.s3_store import S3Store, S3StoreConfig, S3UnavailableError
from daemon.media.store import MediaStoreError
from tests.media.faulty_proxy import FaultyProxy
from tests.support.seaweed import S3ServerInfo

pytestmark = pytest.mark.slow


def _proxy_to(server: S3ServerInfo, fail_first: int = 0) -> FaultyProxy:
    upstream = urlsplit(server.endpoint_url)
    assert upstream.hostname is not None
    assert upstream.port is not None
    return FaultyProxy(upstream.hostname, upstream.port, fail_first=fail_first)


def _config(server: S3ServerInfo, endpoint_url: str, prefix: str, attempts: int) -> S3StoreConfig:
    return S3StoreConfig(
        bucket=server.public_bucket,
        prefix=prefix,
        endpoint_url=endpoint_url,
        region=server.region,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        max_attempts=attempts,
        backoff_initial_s=0.05,
        backoff_max_s=0.5,
        connect_timeout_s=2.0,
        read_timeout_s=10.0,
    )


async def test_unreachable_at_first_then_succeeds_once_the_server_answers(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    proxy = _proxy_to(s3_server)
    # 30 attempts with backoff capped at 0.5 s leave the proxy ample time to open.
    store = S3Store(_config(s3_server, proxy.endpoint_url, unique_prefix, attempts=30))
    data = b"GIF89a delayed"
    try:
        upload = asyncio.create_task(store.put(data, "image/gif", "gif"))
        # Open only after the store has seen the refused connection, so the retry
        # path is certainly taken (no reliance on timing).
        while store.transient_failures == 0 and not upload.done():
            await asyncio.sleep(0.01)
        assert not upload.done(), "put finished before any failure was observed"
        await proxy.open()
        stored = await upload
        async with aiohttp.ClientSession() as session, session.get(stored.url) as response:
            status, body = response.status, await response.read()
    finally:
        await store.close()
        await proxy.close()
    assert store.transient_failures >= 1
    assert store.uploads == 1
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (status, body) == (200, data)


async def test_503_answers_are_retried(s3_server: S3ServerInfo, unique_prefix: str) -> None:
    proxy = _proxy_to(s3_server, fail_first=2)
    await proxy.open()
    store = S3Store(_config(s3_server, proxy.endpoint_url, unique_prefix, attempts=5))
    try:
        stored = await store.put(b"GIF89a after 503s", "image/gif", "gif")
    finally:
        await store.close()
        await proxy.close()
    assert proxy.failed == 2
    assert store.transient_failures == 2
    assert store.uploads == 1
    assert stored.key.startswith(unique_prefix)


async def test_bounded_attempts_end_in_a_typed_error(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    proxy = _proxy_to(s3_server)  # never opened: every connection is refused
    store = S3Store(_config(s3_server, proxy.endpoint_url, unique_prefix, attempts=3))
    data = b"GIF89a nowhere to go"
    try:
        with pytest.raises(S3UnavailableError) as caught:
            await store.put(data, "image/gif", "gif")
    finally:
        await store.close()
        await proxy.close()
    error = caught.value
    assert isinstance(error, MediaStoreError)
    assert error.attempts == 3
    assert store.transient_failures == 2  # failures that were followed by a retry
    assert error.operation == "HeadObject"
    assert error.bucket == s3_server.public_bucket
    assert error.key == f"{unique_prefix}{hashlib.sha256(data).hexdigest()}.gif"
    assert "after 3 attempts" in str(error)
    assert store.uploads == 0
