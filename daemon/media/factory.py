"""Build the configured media store backend from the daemon's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from daemon.media.local_store import LocalDirectoryStore
from daemon.media.s3_store import S3ConfigError, S3Store, S3StoreConfig
from daemon.media.store import MediaStore

if TYPE_CHECKING:
    from daemon.runtime.settings import Settings


class UnknownMediaBackendError(ValueError):
    """``media_backend`` names no known backend."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(f"media_backend={backend!r}: expected 'local' or 's3'")


def build_media_store(settings: Settings, *, create_bucket: bool = False) -> MediaStore:
    """The store ``settings.media_backend`` asks for: ``local`` directory or ``s3``.

    ``create_bucket`` lets development setups (``make run``, tests) create the S3
    bucket on first use; production buckets are provisioned, so it defaults to off.
    """
    if settings.media_backend == "local":
        return LocalDirectoryStore(settings.media_dir, settings.resolved_media_base_url)
    if settings.media_backend == "s3":
        if not settings.s3_bucket:
            raise S3ConfigError("s3_bucket", settings.s3_bucket, "required when media_backend=s3")
        return S3Store(
            S3StoreConfig(
                bucket=settings.s3_bucket,
                prefix=settings.s3_prefix,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=settings.s3_secret_access_key,
                public_base_url=settings.s3_public_base_url,
                presign_ttl_s=settings.s3_presign_ttl_s,
                create_bucket=create_bucket,
            )
        )
    raise UnknownMediaBackendError(settings.media_backend)
