"""Fetch one feed URL carefully: conditional GET, bounded in time and size, http(s) only,
never towards a private address (rules in ``fetch_addresses``). The pacing helpers
(``Backoff``, ``HostLimiter``, from ``fetch_pacing``) are re-exported here.

The body comes back as raw bytes, never decoded: the CAP parser reads the XML declaration
(an ISO-8859-1 feed must reach it byte for byte). Request header values are never put in
an error message or a repr: feeds may need an API key or an ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import aiohttp
from aiohttp import hdrs
from multidict import CIMultiDict
from yarl import URL

from daemon.feeds import fetch_addresses
from daemon.feeds.fetch_addresses import AddressGuardResolver, RefusedAddressError
from daemon.feeds.fetch_pacing import MAX_RETRY_AFTER_S, Backoff, HostLimiter, parse_retry_after

__all__ = [
    "MAX_RETRY_AFTER_S",
    "AddressGuardResolver",
    "Backoff",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "HostLimiter",
    "Validators",
    "fetch",
    "open_session",
    "parse_retry_after",
]

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# An HTML error page served as 200 ("maintenance", a login wall, a CDN block page).
_HTML_START = re.compile(rb"\s*(?:<!doctype\s+html|<html)(?=[\s>])", re.IGNORECASE)
_UTF8_BOM = b"\xef\xbb\xbf"
# Only these of the policy's headers follow a redirect to another origin: any other may
# carry a credential (Authorization, an API key header) meant for the feed's own host.
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-language"})
_SECRET_QUERY_KEY = re.compile(r"key|token|secret|sig|auth|pass", re.IGNORECASE)


@dataclass(frozen=True)
class Validators:
    """What the next conditional GET of a feed sends (store only after the body was used)."""

    etag: str | None = None
    last_modified: str | None = None
    # Fallback for servers that change their ETag on every response of the same body.
    body_sha256: str | None = None


@dataclass(frozen=True)
class FetchPolicy:
    """How one feed is fetched. ``headers`` stay out of the repr: they may hold secrets."""

    user_agent: str  # some publishers (NWS) answer 403 without one
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    connect_timeout_s: float = 5.0
    # Longest silence between two reads; the whole fetch (redirects included) gets 3x.
    read_timeout_s: float = 20.0
    max_bytes: int = 5 * 1024 * 1024  # of the decompressed body
    max_redirects: int = 5
    allow_private_addresses: bool = False
    # "host:port" (or a bare "host", any port) exempt from the private-address check: the
    # tests' origin on 127.0.0.1, or an internal feed the operator names on purpose.
    allowed_hosts: frozenset[str] = frozenset()
    # TLS verification for this feed: None = the system's CAs; a context from the feed's
    # own CA bundle (feed list ``ca_bundle``) for a publisher with a private CA.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ValueError("user_agent must not be empty: publishers refuse anonymous clients")
        if min(self.connect_timeout_s, self.read_timeout_s) <= 0 or self.max_bytes <= 0:
            raise ValueError("timeouts and max_bytes must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    @property
    def total_timeout_s(self) -> float:
        """The cap on one whole fetch: a server trickling bytes never ends a read timeout."""
        return 3 * self.read_timeout_s


@dataclass(frozen=True)
class FetchResult:
    """One successful fetch. ``validators`` go to the feed's state once the body is used."""

    url: str  # after redirects
    status: Literal["new", "not-modified"]
    body: bytes | None  # raw bytes; None when not modified
    content_type: str | None
    validators: Validators
    elapsed_s: float


class FetchError(Exception):
    """A fetch that gave no usable body; ``reason`` is short and machine-readable.

    Reasons: timeout, too-large, http-status, html-page, scheme, invalid-url,
    private-address, too-many-redirects, connection, tls, bad-encoding.
    """

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        url: URL | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.reason = reason
        self.status = status
        self.retry_after_s = retry_after_s
        self.url = _redacted(url) if url is not None else None
        where = f" ({self.url})" if self.url else ""
        super().__init__(f"{detail}{where}")


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    policy: FetchPolicy,
    previous: Validators | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy``; raise :class:`FetchError` for anything but a usable body.

    ``previous`` makes it a conditional GET. A 304 gives ``"not-modified"``; so does a 200
    whose body has ``previous.body_sha256`` (a server that changes its ETag on every
    response): the caller then sees no change, exactly as for a 304.
    """
    started = time.monotonic()
    try:
        async with asyncio.timeout(policy.total_timeout_s):
            result = await _follow_redirects(session, _parse_url(url), policy, previous)
    except TimeoutError as error:  # the whole-fetch cap; per-read timeouts are mapped inside
        raise FetchError("timeout", f"no answer within {policy.total_timeout_s}s") from error
    return dataclasses.replace(result, elapsed_s=time.monotonic() - started)


async def _follow_redirects(
    session: aiohttp.ClientSession,
    url: URL,
    policy: FetchPolicy,
    previous: Validators | None,
) -> FetchResult:
    first_origin = _origin(url)
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=policy.connect_timeout_s, sock_read=policy.read_timeout_s
    )
    for _hop in range(policy.max_redirects + 1):
        _require_http(url)
        await _refuse_private_address(url, policy)  # before any connection to it
        headers = _request_headers(policy, previous, same_origin=_origin(url) == first_origin)
        with _as_fetch_error(url):
            async with session.get(
                url,
                headers=headers,
                allow_redirects=False,  # each hop is checked above before it is connected to
                timeout=timeout,
                auto_decompress=True,  # aiohttp inflates in bounded steps (bomb-safe)
                raise_for_status=False,
                ssl=policy.ssl_context if policy.ssl_context is not None else True,
            ) as response:
                if response.status in _REDIRECT_STATUSES:
                    url = _redirect_target(url, response)
                    continue
                return await _conclude(response, url, policy, previous)
    raise FetchError("too-many-redirects", f"more than {policy.max_redirects} redirects", url=url)


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.raw_host, url.port


def _request_headers(
    policy: FetchPolicy, previous: Validators | None, *, same_origin: bool
) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict(
        (name, value)
        for name, value in policy.headers.items()
        if same_origin or name.lower() in _CROSS_ORIGIN_HEADERS
    )
    headers[hdrs.USER_AGENT] = policy.user_agent
    if previous is not None and previous.etag:
        headers[hdrs.IF_NONE_MATCH] = previous.etag
    if previous is not None and previous.last_modified:
        headers[hdrs.IF_MODIFIED_SINCE] = previous.last_modified
    return headers


async def _conclude(
    response: aiohttp.ClientResponse,
    url: URL,
    policy: FetchPolicy,
    previous: Validators | None,
) -> FetchResult:
    """Turn the final (non-redirect) response into a result or a FetchError."""
    content_type = response.headers.get(hdrs.CONTENT_TYPE)
    etag = response.headers.get(hdrs.ETAG)
    last_modified = response.headers.get(hdrs.LAST_MODIFIED)
    if response.status == 304:
        if previous is None or not (previous.etag or previous.last_modified):
            raise FetchError("http-status", "304 to an unconditional GET", url=url, status=304)
        # A 304 may refresh the validators (RFC 9110 15.4.5); otherwise the old ones stay.
        kept = Validators(
            etag=etag or previous.etag,
            last_modified=last_modified or previous.last_modified,
            body_sha256=previous.body_sha256,
        )
        return FetchResult(str(url), "not-modified", None, content_type, kept, 0.0)
    if not 200 <= response.status < 300:
        retry_after = (
            parse_retry_after(response.headers.get(hdrs.RETRY_AFTER))
            if response.status in _RETRY_AFTER_STATUSES
            else None
        )
        raise FetchError(
            "http-status",
            f"HTTP {response.status}",
            url=url,
            status=response.status,
            retry_after_s=retry_after,
        )
    if _is_html_media_type(content_type):
        response.close()  # an error page: no need to download it
        raise FetchError("html-page", f"Content-Type {content_type}", url=url, status=200)
    body = await _read_capped(response, policy.max_bytes, url)
    if _HTML_START.match(body.removeprefix(_UTF8_BOM), 0, 1024):
        raise FetchError("html-page", "the body is an HTML page", url=url, status=200)
    digest = hashlib.sha256(body).hexdigest()
    validators = Validators(etag=etag, last_modified=last_modified, body_sha256=digest)
    if previous is not None and previous.body_sha256 == digest:
        return FetchResult(str(url), "not-modified", None, content_type, validators, 0.0)
    return FetchResult(str(url), "new", body, content_type, validators, 0.0)


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int, url: URL) -> bytes:
    """Read the (decompressed) body, stopping as soon as it passes ``max_bytes``."""
    # Content-Length counts the compressed bytes: enough to refuse early, not to trust.
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        response.close()
        raise FetchError("too-large", f"Content-Length {declared} > {max_bytes}", url=url)
    body = bytearray()
    async for chunk in response.content.iter_any():
        if len(body) + len(chunk) > max_bytes:
            response.close()  # drop the connection rather than inflate the rest
            raise FetchError("too-large", f"body past {max_bytes} bytes", url=url)
        body += chunk
    return bytes(body)


def _is_html_media_type(content_type: str | None) -> bool:
    if content_type is None:
        return False
    return content_type.split(";", 1)[0].strip().lower() in _HTML_MEDIA_TYPES


def _redirect_target(url: URL, response: aiohttp.ClientResponse) -> URL:
    location = response.headers.get(hdrs.LOCATION)
    if not location:
        raise FetchError(
            "http-status", "redirect without Location", url=url, status=response.status
        )
    try:
        return url.join(URL(location))
    except ValueError as error:
        raise FetchError("invalid-url", "unparsable Location", url=url) from error


def _parse_url(text: str) -> URL:
    try:
        return URL(text)
    except ValueError as error:
        raise FetchError("invalid-url", "unparsable URL") from error


def _require_http(url: URL) -> None:
    if url.scheme not in _ALLOWED_SCHEMES:
        # Not the URL itself: a data: URL is its own (possibly large) content.
        raise FetchError("scheme", f"only http and https, not {url.scheme or 'none'!r}")
    if not url.raw_host:
        raise FetchError("invalid-url", "no host", url=url)


@contextmanager
def _as_fetch_error(url: URL) -> Iterator[None]:
    """Map aiohttp's and the socket layer's errors onto FetchError reasons."""
    try:
        yield
    except TimeoutError as error:  # before OSError: TimeoutError is one
        raise FetchError("timeout", "connect or read timed out", url=url) from error
    except (aiohttp.ClientSSLError, ssl.SSLError) as error:
        raise FetchError("tls", type(error).__name__, url=url) from error
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, RefusedAddressError):  # the resolver's second check
            raise FetchError("private-address", str(error.os_error), url=url) from error
        raise FetchError("connection", f"cannot connect: {error.os_error}", url=url) from error
    except aiohttp.ClientPayloadError as error:
        if "content-encoding" in str(error).lower():
            raise FetchError("bad-encoding", "undecodable compressed body", url=url) from error
        raise FetchError("connection", "body cut short", url=url) from error
    except (aiohttp.ClientError, OSError) as error:
        raise FetchError("connection", type(error).__name__, url=url) from error


async def _refuse_private_address(url: URL, policy: FetchPolicy) -> None:
    host = url.raw_host or ""
    try:
        reason = await fetch_addresses.refusal_of_host(policy, host, url.port)
    except OSError as error:
        raise FetchError("connection", f"cannot resolve {host}", url=url) from error
    if reason is not None:
        raise FetchError("private-address", reason, url=url)


def open_session(policy: FetchPolicy) -> aiohttp.ClientSession:
    """A session fit for fetch(): its resolver re-checks addresses (no DNS rebinding), no
    cookie jar, no proxy from the environment. Call it inside the event loop; the address
    rules are ``policy``'s (``allow_private_addresses``, ``allowed_hosts``)."""
    connector = aiohttp.TCPConnector(resolver=AddressGuardResolver(policy))
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
    )


def _redacted(url: URL) -> str:
    """``url`` fit for a log line: no user info, secret-looking query values hidden."""
    query = [
        (key, "***" if _SECRET_QUERY_KEY.search(key) else value) for key, value in url.query.items()
    ]
    return str(url.with_user(None).with_query(query).with_fragment(None))
