"""The S3 media store against a real SeaweedFS S3 server (signed requests, real HTTP GETs)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from PIL import Image

from daemon.media.s3_store import (
    IMMUTABLE_CACHE_CONTROL,
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3ConfigError,
    S3Store,
    S3StoreConfig,
)
from daemon.media.store import MediaStoreError
from tests.support.seaweed import S3ServerInfo, admin_client

pytestmark = pytest.mark.slow


def _gif(colour: tuple[int, int, int]) -> bytes:
    frames = [Image.new("RGB", (8, 8), colour), Image.new("RGB", (8, 8), (0, 0, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    return buffer.getvalue()


def _config(server: S3ServerInfo, bucket: str, prefix: str, **overrides: object) -> S3StoreConfig:
    config = S3StoreConfig(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=server.endpoint_url,
        region=server.region,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
    )
    return replace(config, **overrides)  # type: ignore[arg-type]


async def _fetch(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def test_public_url_serves_the_uploaded_bytes(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    public_base = f"{s3_server.endpoint_url}/{s3_server.public_bucket}"
    store = S3Store(
        _config(s3_server, s3_server.public_bucket, unique_prefix, public_base_url=public_base)
    )
    data = _gif((250, 120, 0))
    try:
        stored = await store.put(data, "image/gif", "gif")
    finally:
        await store.close()
    sha = hashlib.sha256(data).hexdigest()
    assert stored.key == f"{unique_prefix}{sha}.gif"
    assert stored.url == f"{public_base}/{unique_prefix}{sha}.gif"
    status, content_type, body = await _fetch(stored.url)
    assert (status, content_type, body) == (200, "image/gif", data)


async def test_presigned_url_grants_access_that_a_plain_url_lacks(
    s3_server: S3ServerInfo, unique_bucket: str, unique_prefix: str
) -> None:
    store = S3Store(
        _config(s3_server, unique_bucket, unique_prefix, create_bucket=True, presign_ttl_s=600)
    )
    data = _gif((0, 90, 250))
    try:
        stored = await store.put(data, "image/gif", "gif")
    finally:
        await store.close()
    query = parse_qs(urlsplit(stored.url).query)
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    status, content_type, body = await _fetch(stored.url)
    assert (status, content_type, body) == (200, "image/gif", data)
    unsigned_status, _, _ = await _fetch(f"{s3_server.endpoint_url}/{unique_bucket}/{stored.key}")
    assert unsigned_status == 403


async def test_object_carries_type_caching_and_sha256_metadata(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    store = S3Store(_config(s3_server, s3_server.public_bucket, unique_prefix))
    data = b"\x00\x00\x00\x18ftypmp42 not really a movie"
    try:
        stored = await store.put(data, "video/mp4", "mp4")
    finally:
        await store.close()
    client = admin_client(s3_server)
    try:
        head = client.head_object(Bucket=s3_server.public_bucket, Key=stored.key)
    finally:
        client.close()
    assert head["ContentType"] == "video/mp4"
    assert head["ContentLength"] == len(data)
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
    assert head["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()}


async def test_same_bytes_upload_once_even_from_a_new_store(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    config = _config(s3_server, s3_server.public_bucket, unique_prefix)
    data = _gif((10, 200, 10))
    client = admin_client(s3_server)
    first_store = S3Store(config)
    second_store = S3Store(config)  # as after a daemon restart
    try:
        first = await first_store.put(data, "image/gif", "gif")
        modified = client.head_object(Bucket=config.bucket, Key=first.key)["LastModified"]
        again = await first_store.put(data, "image/gif", "gif")
        after_restart = await second_store.put(data, "image/gif", "gif")
        still = client.head_object(Bucket=config.bucket, Key=first.key)["LastModified"]
        listed = client.list_objects_v2(Bucket=config.bucket, Prefix=unique_prefix)
    finally:
        await first_store.close()
        await second_store.close()
        client.close()
    assert again.key == first.key == after_restart.key
    assert (first_store.uploads, first_store.uploads_skipped) == (1, 1)
    assert (second_store.uploads, second_store.uploads_skipped) == (0, 1)
    assert still == modified
    assert [item["Key"] for item in listed["Contents"]] == [first.key]


async def test_different_bytes_get_different_keys(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    store = S3Store(_config(s3_server, s3_server.public_bucket, unique_prefix))
    try:
        red = await store.put(_gif((255, 0, 0)), "image/gif", "gif")
        blue = await store.put(_gif((0, 0, 255)), "image/gif", "gif")
    finally:
        await store.close()
    assert red.key != blue.key
    assert store.uploads == 2


async def test_object_replaced_by_other_bytes_under_the_key_is_uploaded_again(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    config = _config(s3_server, s3_server.public_bucket, unique_prefix)
    data = _gif((1, 2, 3))
    store = S3Store(config)
    client = admin_client(s3_server)
    try:
        stored = await store.put(data, "image/gif", "gif")
        # Something outside the store overwrote the key without our metadata.
        client.put_object(Bucket=config.bucket, Key=stored.key, Body=b"corrupt")
        await store.put(data, "image/gif", "gif")
        body = client.get_object(Bucket=config.bucket, Key=stored.key)["Body"].read()
    finally:
        await store.close()
        client.close()
    assert store.uploads == 2
    assert body == data


async def test_wrong_secret_is_an_access_error_naming_bucket_and_key(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    store = S3Store(
        _config(
            s3_server,
            s3_server.public_bucket,
            unique_prefix,
            secret_access_key="not-the-secret",
            max_attempts=3,
        )
    )
    data = _gif((9, 9, 9))
    try:
        with pytest.raises(S3AccessDeniedError) as caught:
            await store.put(data, "image/gif", "gif")
    finally:
        await store.close()
    error = caught.value
    assert isinstance(error, MediaStoreError)
    assert error.bucket == s3_server.public_bucket
    assert error.key == f"{unique_prefix}{hashlib.sha256(data).hexdigest()}.gif"
    assert error.bucket in str(error)
    assert error.key in str(error)
    assert store.transient_failures == 0  # a permanent error is not retried


async def test_unknown_access_key_is_an_access_error(
    s3_server: S3ServerInfo, unique_prefix: str
) -> None:
    store = S3Store(
        _config(s3_server, s3_server.public_bucket, unique_prefix, access_key_id="NOSUCHKEY")
    )
    try:
        with pytest.raises(S3AccessDeniedError):
            await store.put(b"x", "image/gif", "gif")
    finally:
        await store.close()


async def test_missing_bucket_without_create_is_a_typed_error(
    s3_server: S3ServerInfo, unique_bucket: str, unique_prefix: str
) -> None:
    store = S3Store(_config(s3_server, unique_bucket, unique_prefix))
    try:
        with pytest.raises(S3BucketNotFoundError) as caught:
            await store.put(b"x", "image/gif", "gif")
    finally:
        await store.close()
    assert caught.value.bucket == unique_bucket
    assert unique_bucket in str(caught.value)


async def test_create_bucket_is_idempotent_across_stores(
    s3_server: S3ServerInfo, unique_bucket: str, unique_prefix: str
) -> None:
    config = _config(s3_server, unique_bucket, unique_prefix, create_bucket=True)
    first, second = S3Store(config), S3Store(config)
    try:
        await first.ensure_bucket()
        await second.ensure_bucket()
        stored = await second.put(b"hello", "text/plain; charset=utf-8", "txt")
    finally:
        await first.close()
        await second.close()
    client = admin_client(s3_server)
    try:
        body = client.get_object(Bucket=unique_bucket, Key=stored.key)["Body"].read()
    finally:
        client.close()
    assert body == b"hello"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bucket", "Bad_Bucket"),
        ("bucket", "ab"),
        ("prefix", "/media/"),
        ("public_base_url", "cdn.example/media"),
        ("presign_ttl_s", 0),
        ("presign_ttl_s", 8 * 24 * 3600),
        ("max_attempts", 0),
        ("backoff_initial_s", 0),
    ],
)
def test_invalid_config_names_the_setting(field: str, value: object) -> None:
    with pytest.raises(S3ConfigError) as caught:
        S3StoreConfig(**{"bucket": "media", field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.value == value


def test_half_a_key_pair_is_refused() -> None:
    with pytest.raises(S3ConfigError) as caught:
        S3StoreConfig(bucket="media", access_key_id="AKIA")
    assert caught.value.field == "access_key_id"
