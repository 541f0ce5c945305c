"""Choosing and configuring the media store from the daemon's settings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest

from daemon.media.factory import UnknownMediaBackendError, build_media_store
from daemon.media.local_store import LocalDirectoryStore
from daemon.media.s3_store import S3Store
from daemon.runtime.settings import Settings, load_settings
from tests.support.seaweed import S3ServerInfo


def test_local_backend_uses_the_directory_and_the_http_server_url(tmp_path: Path) -> None:
    settings = Settings(media_dir=tmp_path, http_host="127.0.0.1", http_port=8099)
    store = build_media_store(settings)
    assert isinstance(store, LocalDirectoryStore)
    assert store.directory == tmp_path
    assert store.base_url == "http://127.0.0.1:8099/media"


def test_local_backend_honours_an_explicit_base_url(tmp_path: Path) -> None:
    settings = Settings(media_dir=tmp_path, media_base_url="https://cdn.example/alerts/")
    store = build_media_store(settings)
    assert isinstance(store, LocalDirectoryStore)
    assert store.base_url == "https://cdn.example/alerts"


def test_s3_backend_takes_every_s3_setting_from_the_environment() -> None:
    settings = load_settings(
        {
            "CINEALERT_MEDIA_BACKEND": "s3",
            "CINEALERT_S3_BUCKET": "alerts-media",
            "CINEALERT_S3_PREFIX": "cinemagraphs/",
            "CINEALERT_S3_ENDPOINT_URL": "http://127.0.0.1:1",
            "CINEALERT_S3_REGION": "eu-north-1",
            "CINEALERT_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "CINEALERT_S3_SECRET_ACCESS_KEY": "secret",
            "CINEALERT_S3_PUBLIC_BASE_URL": "https://media.example",
            "CINEALERT_S3_PRESIGN_TTL_S": "900",
        }
    )
    store = build_media_store(settings, create_bucket=True)
    assert isinstance(store, S3Store)
    config = store.config
    assert (config.bucket, config.prefix, config.endpoint_url, config.region) == (
        "alerts-media",
        "cinemagraphs/",
        "http://127.0.0.1:1",
        "eu-north-1",
    )
    assert (config.access_key_id, config.secret_access_key) == ("AKIAEXAMPLE", "secret")
    assert config.public_base_url == "https://media.example"
    assert config.presign_ttl_s == 900
    assert config.create_bucket is True
    assert store.url_for("cinemagraphs/ab.gif") == "https://media.example/cinemagraphs/ab.gif"


def test_unknown_backend_is_refused_by_name() -> None:
    # Settings validates the choice itself; the factory must not trust its caller either.
    not_settings = SimpleNamespace(media_backend="ftp")
    with pytest.raises(UnknownMediaBackendError) as caught:
        build_media_store(not_settings)  # type: ignore[arg-type]
    assert caught.value.backend == "ftp"


@pytest.mark.slow
async def test_s3_store_built_from_settings_round_trips(
    s3_server: S3ServerInfo, unique_bucket: str
) -> None:
    settings = Settings(
        media_backend="s3",
        s3_bucket=unique_bucket,
        s3_prefix="media/",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_region=s3_server.region,
        s3_access_key_id=s3_server.access_key_id,
        s3_secret_access_key=s3_server.secret_access_key,
        s3_presign_ttl_s=120.0,
    )
    store = build_media_store(settings, create_bucket=True)
    try:
        stored = await store.put(b"\x89PNG poster", "image/png", "png")
    finally:
        await store.close()
    assert stored.key.startswith("media/")
    async with aiohttp.ClientSession() as session, session.get(stored.url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert await response.read() == b"\x89PNG poster"
