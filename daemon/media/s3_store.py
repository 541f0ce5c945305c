"""Media store on S3-compatible object storage (AWS S3, SeaweedFS, MinIO, Ceph RGW...).

Keys are content-addressed, ``<prefix><sha256>.<ext>``. A put first asks HEAD whether
the object is already there with the same size and sha256 metadata and skips the upload
if so, so replays and restarts do not re-upload. URLs are either a public base URL
(for a bucket behind a CDN or with anonymous read) or presigned GET URLs.

boto3 is synchronous; every call runs in a worker thread (``asyncio.to_thread``) so the
event loop keeps consuming and publishing. botocore's own retries are switched off and
replaced by one bounded exponential backoff here, so the number of attempts and the
error raised when they run out are ours to state.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from daemon.media.naming import check_media_type, content_name
from daemon.media.store import MediaStoreError, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_T = TypeVar("_T")
_log = structlog.get_logger(__name__)

# Content never changes under a content-addressed key, so clients and CDNs may cache forever.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
SHA256_METADATA_KEY = "sha256"
# Error codes S3 services use for "try again later"; 5xx statuses are transient too.
_TRANSIENT_CODES = frozenset(
    {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"}
    | {"Throttling", "ThrottlingException", "RequestLimitExceeded", "503", "500", "502", "504"}
)
_ACCESS_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "InvalidToken"}
    | {"ExpiredToken", "AuthorizationHeaderMalformed"}
)
_MISSING_BUCKET_CODES = frozenset({"NoSuchBucket"})
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Presigned URLs signed with SigV4 are valid at most seven days.
MAX_PRESIGN_TTL_S = 7 * 24 * 3600


class S3ConfigError(ValueError):
    """An S3 store setting is invalid; names the setting and its value."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}={value!r}: {problem}")


class S3StoreError(MediaStoreError):
    """An S3 operation failed for good. Names the operation, bucket, key and S3 error code."""

    def __init__(
        self, operation: str, bucket: str, key: str, code: str | None, message: str
    ) -> None:
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.code = code
        where = f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
        super().__init__(f"S3 {operation} on {where} failed ({code or 'no code'}): {message}")


class S3AccessDeniedError(S3StoreError):
    """The credentials are wrong, missing or not allowed to do this."""


class S3BucketNotFoundError(S3StoreError):
    """The bucket does not exist (and the store was not asked to create it)."""


class S3UnavailableError(S3StoreError):
    """Transient failures went on past the retry budget; ``attempts`` says how many were made."""

    def __init__(
        self,
        operation: str,
        bucket: str,
        key: str,
        code: str | None,
        message: str,
        *,
        attempts: int,
    ) -> None:
        self.attempts = attempts
        super().__init__(
            operation, bucket, key, code, f"still failing after {attempts} attempts: {message}"
        )


@dataclass(frozen=True)
class S3StoreConfig:
    """Where and how to store media on S3.

    ``public_base_url`` set: URLs are ``<public_base_url>/<key>`` (the bucket must be
    readable there). Unset: URLs are presigned GETs valid for ``presign_ttl_s``.
    ``region``/credentials left None use boto3's usual chain (environment, profile,
    instance or pod role).
    """

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    public_base_url: str | None = None
    presign_ttl_s: float = 3600.0
    create_bucket: bool = False
    max_attempts: int = 5
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not _BUCKET_NAME.fullmatch(self.bucket):
            raise S3ConfigError("bucket", self.bucket, "is not a valid S3 bucket name")
        if self.prefix.startswith("/"):
            raise S3ConfigError("prefix", self.prefix, "must not start with '/'")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise S3ConfigError(
                "access_key_id", self.access_key_id, "give both key id and secret, or neither"
            )
        if self.public_base_url is not None and not self.public_base_url.startswith(
            ("http://", "https://")
        ):
            raise S3ConfigError("public_base_url", self.public_base_url, "must be an http(s) URL")
        if not 1 <= self.presign_ttl_s <= MAX_PRESIGN_TTL_S:
            raise S3ConfigError(
                "presign_ttl_s", self.presign_ttl_s, f"must be in 1..{MAX_PRESIGN_TTL_S} seconds"
            )
        if self.max_attempts < 1:
            raise S3ConfigError("max_attempts", self.max_attempts, "must be at least 1")
        if not 0 < self.backoff_initial_s <= self.backoff_max_s:
            raise S3ConfigError(
                "backoff_initial_s", self.backoff_initial_s, "must be > 0 and <= backoff_max_s"
            )


class S3Store:
    """Content-addressed media objects in one S3 bucket."""

    def __init__(self, config: S3StoreConfig) -> None:
        self.config = config
        session = boto3.session.Session(
            aws_access_key_id=config.access_key_id,
            aws_secret_access_key=config.secret_access_key,
            region_name=config.region,
        )
        self._client: S3Client = session.client(
            "s3",
            endpoint_url=config.endpoint_url,
            config=Config(
                signature_version="s3v4",
                # Custom endpoints rarely have wildcard DNS for virtual-hosted buckets.
                s3={"addressing_style": "path" if config.endpoint_url else "auto"},
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=config.connect_timeout_s,
                read_timeout=config.read_timeout_s,
            ),
        )
        self._bucket_ready = not config.create_bucket
        self._bucket_lock = asyncio.Lock()
        # Counters for operators and tests: real uploads vs. puts answered by HEAD.
        self.uploads = 0
        self.uploads_skipped = 0
        self.transient_failures = 0

    def key_for(self, file_name: str) -> str:
        """The object key of a content-addressed file name."""
        return f"{self.config.prefix}{file_name}"

    def url_for(self, key: str) -> str:
        """A URL a client can GET ``key`` from: public, or freshly presigned.

        Presigning is local computation (no request), so callers holding a key from an
        older record can mint a fresh URL when the old one has expired.
        """
        if self.config.public_base_url is not None:
            return f"{self.config.public_base_url.rstrip('/')}/{quote(key, safe='/')}"
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.config.bucket, "Key": key},
            ExpiresIn=int(self.config.presign_ttl_s),
        )

    async def put(self, data: bytes, content_type: str, extension: str) -> StoredObject:
        """Upload ``data`` under ``<prefix><sha256>.<extension>`` unless it is already there."""
        check_media_type(content_type, extension)
        name = content_name(data, extension)
        key = self.key_for(name.file_name)
        await self._ensure_bucket()
        existing = await self._retrying("HeadObject", key, lambda: self._head_or_none(key))
        if (
            existing is not None
            and existing[0] == name.size
            and existing[1].get(SHA256_METADATA_KEY) == name.sha256
        ):
            self.uploads_skipped += 1
        else:
            await self._retrying(
                "PutObject",
                key,
                lambda: self._client.put_object(
                    Bucket=self.config.bucket,
                    Key=key,
                    Body=data,
                    ContentType=content_type,
                    CacheControl=IMMUTABLE_CACHE_CONTROL,
                    Metadata={SHA256_METADATA_KEY: name.sha256},
                ),
            )
            self.uploads += 1
        url = await self._retrying("PresignGetObject", key, lambda: self.url_for(key))
        return StoredObject(
            key=key, url=url, sha256=name.sha256, size=name.size, content_type=content_type
        )

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (only when ``create_bucket`` is set)."""
        await self._ensure_bucket()

    async def close(self) -> None:
        """Close the client's connection pool."""
        await asyncio.to_thread(self._client.close)

    async def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        async with self._bucket_lock:
            if self._bucket_ready:
                return
            if not await self._retrying("HeadBucket", "", self._bucket_exists):
                await self._retrying("CreateBucket", "", self._create_bucket)
                _log.info("s3_bucket_created", bucket=self.config.bucket)
            self._bucket_ready = True

    def _bucket_exists(self) -> bool:
        try:
            self._client.head_bucket(Bucket=self.config.bucket)
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        return True

    def _create_bucket(self) -> None:
        region = self._client.meta.region_name
        try:
            if region and region != "us-east-1":
                # Outside us-east-1 AWS requires the region to be restated here.
                self._client.create_bucket(
                    Bucket=self.config.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
            else:
                self._client.create_bucket(Bucket=self.config.bucket)
        except ClientError as error:
            # Another replica may have created it between our HEAD and CREATE.
            if _code(error) != "BucketAlreadyOwnedByYou":
                raise

    def _head_or_none(self, key: str) -> tuple[int, dict[str, str]] | None:
        try:
            head = self._client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise
        return head["ContentLength"], head["Metadata"]

    async def _retrying(self, operation: str, key: str, call: Callable[[], _T]) -> _T:
        """Run ``call`` in a thread, retrying transient failures with exponential backoff."""
        bucket = self.config.bucket
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                return await asyncio.to_thread(call)
            except (ClientError, BotoCoreError) as error:
                if not _is_transient(error):
                    raise _permanent_error(operation, bucket, key, error) from error
                if attempt == self.config.max_attempts:
                    raise S3UnavailableError(
                        operation, bucket, key, _code(error), str(error), attempts=attempt
                    ) from error
                self.transient_failures += 1
                delay = self._backoff_delay(attempt)
                _log.warning(
                    "s3_transient_failure",
                    operation=operation,
                    bucket=bucket,
                    key=key,
                    attempt=attempt,
                    retry_in_s=round(delay, 3),
                    error=str(error),
                )
                await asyncio.sleep(delay)
        # The loop always returns or raises; this keeps the type checker convinced.
        raise AssertionError("unreachable: retry loop exited without a result")

    def _backoff_delay(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max_s, self.config.backoff_initial_s * 2 ** (attempt - 1))
        # Jitter spreads replicas that failed together so they do not retry in lockstep.
        return random.uniform(ceiling / 2, ceiling)


def _code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code")
    return type(error).__name__


def _status(error: ClientError) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _is_transient(error: ClientError | BotoCoreError) -> bool:
    if isinstance(error, HTTPClientError | BotoConnectionError):
        return True  # refused, reset, timed out: the server may come back
    if isinstance(error, ClientError):
        status = _status(error)
        return _code(error) in _TRANSIENT_CODES or (status is not None and status >= 500)
    return False


def _permanent_error(
    operation: str, bucket: str, key: str, error: ClientError | BotoCoreError
) -> S3StoreError:
    code = _code(error)
    if isinstance(error, NoCredentialsError) or code in _ACCESS_CODES:
        return S3AccessDeniedError(operation, bucket, key, code, str(error))
    if code in _MISSING_BUCKET_CODES or (operation == "HeadBucket" and code == "404"):
        return S3BucketNotFoundError(operation, bucket, key, code, str(error))
    return S3StoreError(operation, bucket, key, code, str(error))
