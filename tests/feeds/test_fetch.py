"""The feed fetcher against a real local HTTP server that answers like real publishers.

Every server here listens on 127.0.0.1 only. The private-address tests prove refusal
*before* connecting: an aiohttp trace records every request the client starts, and the
redirect targets (169.254.169.254, 10.0.0.1) never appear in it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import functools
import gzip
import ipaddress
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from yarl import URL

from daemon.feeds import fetch_addresses
from daemon.feeds.fetch import (
    MAX_RETRY_AFTER_S,
    AddressGuardResolver,
    Backoff,
    FetchError,
    FetchPolicy,
    HostLimiter,
    Validators,
    fetch,
    open_session,
    parse_retry_after,
)
from daemon.feeds.fetch_addresses import RefusedAddressError, refusal

CAP_UTF8 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>T-1</identifier>'
    b"<sender>w@example.org</sender></alert>\n"
)
# "Météo" in ISO-8859-1: 0xE9 bytes, which a decode/re-encode round trip would change.
CAP_LATIN1 = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><senderName>M\xe9t\xe9o</senderName>'
    b"</alert>\n"
)
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
USER_AGENT = "cinealert-tests/1.0 (+mailto:ops@example.org)"
CAP_XML = "application/cap+xml"
KIB = 1024
# The client hung up on purpose (too large, timeout): a handler writing to it just stops.
CLIENT_GONE = (ConnectionError, RuntimeError)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@functools.cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros, gzip-compressed to about 64 KiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * KIB)
    return b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush()


@dataclass
class Publisher:
    """One local origin: its base URL, ``host:port``, and every request it saw."""

    base: str
    host: str
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    changing_etag: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    def headers_of(self, path: str) -> dict[str, str]:
        return next(headers for seen_path, headers in self.seen if seen_path == path)


Handler = Callable[[web.Request, Publisher], Awaitable[web.StreamResponse]]


async def _conditional(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304, headers={"ETag": '"v1"'})
    return web.Response(body=CAP_UTF8, content_type=CAP_XML, headers={"ETag": '"v1"'})


async def _last_modified(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
        return web.Response(status=304)
    headers = {"Last-Modified": LAST_MODIFIED}
    return web.Response(body=CAP_UTF8, content_type=CAP_XML, headers=headers)


async def _changing_etag(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    publisher.changing_etag += 1  # a new ETag on every response, the body never changes
    headers = {"ETag": f'"r{publisher.changing_etag}"'}
    return web.Response(body=CAP_UTF8, content_type=CAP_XML, headers=headers)


async def _status(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    status = int(request.match_info["code"])
    headers = (
        {"Retry-After": request.query["retry_after"]} if "retry_after" in request.query else {}
    )
    return web.Response(status=status, text="busy", headers=headers)


async def _slow(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": CAP_XML})
    await response.prepare(request)
    await response.write(CAP_UTF8[:20])
    await publisher.released.wait()  # silent until the test ends: past any read timeout
    return response


async def _trickle(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": CAP_XML})
    await response.prepare(request)
    with suppress(*CLIENT_GONE):
        while not publisher.released.is_set():  # a byte every 50 ms, forever
            await response.write(b" ")
            await asyncio.sleep(0.05)
    return response


async def _declared_too_large(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": CAP_XML})
    response.content_length = 100 * 1024 * KIB
    await response.prepare(request)
    await response.write(CAP_UTF8)
    # Never sends the rest: a client that reads instead of refusing would time out.
    await publisher.released.wait()
    return response


async def _chunked_too_large(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": CAP_XML})
    response.enable_chunked_encoding()  # no Content-Length at all
    await response.prepare(request)
    with suppress(*CLIENT_GONE):
        for _ in range(64):
            await response.write(b"x" * (64 * KIB))
        await response.write_eof()
    return response


async def _gzip(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    headers = {"Content-Encoding": "gzip", "Content-Type": CAP_XML}
    return web.Response(body=gzip.compress(CAP_LATIN1 * 50), headers=headers)


async def _bomb(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    headers = {"Content-Encoding": "gzip", "Content-Type": CAP_XML}
    return web.Response(body=gzip_bomb(), headers=headers)


async def _bad_gzip(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    headers = {"Content-Encoding": "gzip", "Content-Type": CAP_XML}
    return web.Response(body=b"this is not gzip at all" * 10, headers=headers)


async def _redirect(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    return web.Response(status=302, headers={"Location": request.query["to"]})


async def _hop(request: web.Request, publisher: Publisher) -> web.StreamResponse:
    left = int(request.match_info["left"])
    if left == 0:
        return web.Response(body=CAP_UTF8, content_type=CAP_XML)
    return web.Response(status=301, headers={"Location": f"/hop/{left - 1}"})


def _fixed(body: bytes, content_type: str, status: int = 200) -> Handler:
    async def answer(request: web.Request, publisher: Publisher) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    return answer


ROUTES: dict[str, Handler] = {
    "/etag": _conditional,
    "/last-modified": _last_modified,
    "/changing-etag": _changing_etag,
    "/status/{code}": _status,
    "/slow": _slow,
    "/trickle": _trickle,
    "/declared-too-large": _declared_too_large,
    "/chunked-too-large": _chunked_too_large,
    "/gzip": _gzip,
    "/bomb": _bomb,
    "/bad-gzip": _bad_gzip,
    "/redirect": _redirect,
    "/hop/{left}": _hop,
    "/cap": _fixed(CAP_UTF8, CAP_XML),
    "/latin1": _fixed(CAP_LATIN1, "application/xml; charset=ISO-8859-1"),
    "/json": _fixed(b'{"features": []}', "application/geo+json"),
    "/atom": _fixed(
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "application/atom+xml"
    ),
    "/html": _fixed(b"<p>Service unavailable</p>", "text/html; charset=utf-8"),
    "/html-as-xml": _fixed(
        b'\xef\xbb\xbf\r\n  <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><html></html>',
        "application/xml",
    ),
    "/always-304": _fixed(b"", CAP_XML, status=304),
}


async def _start_publisher(
    tls: ssl.SSLContext | None = None,
) -> tuple[Publisher, web.AppRunner]:
    publisher = Publisher(base="", host="")

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        publisher.seen.append((request.path, dict(request.headers)))
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[record])
    for path, answer in ROUTES.items():
        app.router.add_get(path, functools.partial(answer, publisher=publisher))
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if tls is not None else "http"
    publisher.base, publisher.host = f"{scheme}://127.0.0.1:{port}", f"127.0.0.1:{port}"
    return publisher, runner


@pytest.fixture
async def publisher() -> AsyncIterator[Publisher]:
    started, runner = await _start_publisher()
    yield started
    started.released.set()
    await runner.cleanup()


@pytest.fixture
async def other_publisher() -> AsyncIterator[Publisher]:
    """A second origin (another port) for cross-origin redirects."""
    started, runner = await _start_publisher()
    yield started
    started.released.set()
    await runner.cleanup()


@pytest.fixture
def started_urls() -> list[str]:
    return []


@pytest.fixture
async def session(started_urls: list[str]) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain session whose trace records every request the client starts, and stops
    any request to a host other than loopback before it connects (a safety net: were
    the fetcher wrong, the test would fail instead of sending traffic out)."""

    async def on_request_start(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started_urls.append(str(params.url))
        if params.url.raw_host not in LOOPBACK_HOSTS:
            raise AssertionError(f"the fetcher started a request to {params.url}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as client:
        yield client


def policy(*origins: Publisher, **overrides: Any) -> FetchPolicy:
    settings: dict[str, Any] = {"read_timeout_s": 2.0, "max_bytes": 1024 * KIB}
    settings.update(overrides)
    hosts = frozenset(origin.host for origin in origins)
    return FetchPolicy(user_agent=USER_AGENT, allowed_hosts=hosts, **settings)


async def expect_error(awaitable: Awaitable[object], reason: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await awaitable
    assert caught.value.reason == reason, str(caught.value)
    return caught.value


# --- conditional GET -------------------------------------------------------------------


async def test_etag_200_then_304_keeps_the_validators(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    first = await fetch(session, publisher.url("/etag"), policy(publisher))
    assert first.status == "new" and first.body == CAP_UTF8
    assert first.validators.etag == '"v1"' and first.validators.body_sha256 is not None
    assert first.content_type == CAP_XML and first.url == publisher.url("/etag")
    assert first.elapsed_s >= 0

    second = await fetch(session, publisher.url("/etag"), policy(publisher), first.validators)
    assert second.status == "not-modified" and second.body is None
    assert second.validators == first.validators
    assert publisher.seen[1][1]["If-None-Match"] == '"v1"'


async def test_last_modified_200_then_304(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    first = await fetch(session, publisher.url("/last-modified"), policy(publisher))
    assert first.status == "new" and first.validators.last_modified == LAST_MODIFIED
    second = await fetch(
        session, publisher.url("/last-modified"), policy(publisher), first.validators
    )
    assert second.status == "not-modified" and second.validators == first.validators
    assert publisher.seen[1][1]["If-Modified-Since"] == LAST_MODIFIED


async def test_both_validators_are_sent_when_known(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    previous = Validators(etag='W/"x"', last_modified=LAST_MODIFIED, body_sha256="0" * 64)
    result = await fetch(session, publisher.url("/cap"), policy(publisher), previous)
    assert result.status == "new"  # the body's digest differs from "000..."
    headers = publisher.headers_of("/cap")
    assert headers["If-None-Match"] == 'W/"x"'
    assert headers["If-Modified-Since"] == LAST_MODIFIED


async def test_an_etag_that_changes_on_every_response_falls_back_to_the_body_digest(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    first = await fetch(session, publisher.url("/changing-etag"), policy(publisher))
    second = await fetch(
        session, publisher.url("/changing-etag"), policy(publisher), first.validators
    )
    assert second.status == "not-modified" and second.body is None
    assert second.validators.body_sha256 == first.validators.body_sha256
    assert second.validators.etag == '"r2"'  # the server's latest, stored for next time


async def test_a_304_to_an_unconditional_get_is_an_error(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    error = await expect_error(
        fetch(session, publisher.url("/always-304"), policy(publisher)), "http-status"
    )
    assert error.status == 304


# --- status codes, HTML pages, content ---------------------------------------------------


async def test_a_500_is_an_http_status_error_without_retry_after(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    url = publisher.url("/status/500?retry_after=5")
    error = await expect_error(fetch(session, url, policy(publisher)), "http-status")
    assert error.status == 500 and error.retry_after_s is None


async def test_a_503_carries_retry_after_seconds(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    url = publisher.url("/status/503?retry_after=120")
    error = await expect_error(fetch(session, url, policy(publisher)), "http-status")
    assert error.status == 503 and error.retry_after_s == 120.0


async def test_a_429_carries_retry_after_as_an_http_date(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    url = str(URL(publisher.url("/status/429")).with_query(retry_after=when))
    error = await expect_error(fetch(session, url, policy(publisher)), "http-status")
    assert error.status == 429
    assert error.retry_after_s is not None and 100 <= error.retry_after_s <= 121


async def test_an_html_page_with_status_200_is_refused(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    error = await expect_error(
        fetch(session, publisher.url("/html"), policy(publisher)), "html-page"
    )
    assert error.status == 200


async def test_an_html_body_behind_an_xml_content_type_is_refused(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    await expect_error(
        fetch(session, publisher.url("/html-as-xml"), policy(publisher)), "html-page"
    )


@pytest.mark.parametrize("path", ["/json", "/atom", "/cap"])
async def test_xml_atom_and_json_pass(
    session: aiohttp.ClientSession, publisher: Publisher, path: str
) -> None:
    result = await fetch(session, publisher.url(path), policy(publisher))
    assert result.status == "new" and result.body


async def test_iso_8859_1_cap_bytes_come_back_byte_identical(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    result = await fetch(session, publisher.url("/latin1"), policy(publisher))
    assert result.body == CAP_LATIN1
    assert result.content_type == "application/xml; charset=ISO-8859-1"


async def test_user_agent_and_custom_headers_reach_the_server(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    custom = {"Accept": "application/cap+xml", "X-Api-Key": "k-123"}
    await fetch(session, publisher.url("/cap"), policy(publisher, headers=custom))
    headers = publisher.headers_of("/cap")
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/cap+xml" and headers["X-Api-Key"] == "k-123"


async def test_credentials_do_not_follow_a_redirect_to_another_origin(
    session: aiohttp.ClientSession, publisher: Publisher, other_publisher: Publisher
) -> None:
    custom = {"Accept": "application/cap+xml", "Authorization": "Bearer s3cret"}
    url = str(URL(publisher.url("/redirect")).with_query(to=other_publisher.url("/cap")))
    result = await fetch(session, url, policy(publisher, other_publisher, headers=custom))
    assert result.url == other_publisher.url("/cap") and result.body == CAP_UTF8
    assert publisher.headers_of("/redirect")["Authorization"] == "Bearer s3cret"
    moved = other_publisher.headers_of("/cap")
    assert "Authorization" not in moved
    assert moved["Accept"] == "application/cap+xml" and moved["User-Agent"] == USER_AGENT


async def test_secrets_stay_out_of_errors_and_reprs(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    careful = policy(publisher, headers={"Authorization": "Bearer s3cret"})
    url = publisher.url("/status/500?apikey=s3cret&area=KS")
    error = await expect_error(fetch(session, url, careful), "http-status")
    assert "s3cret" not in str(error) and "area=KS" in str(error)
    assert "s3cret" not in repr(careful)


# --- time and size -------------------------------------------------------------------------


async def test_a_body_that_stalls_past_the_read_timeout_times_out(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    await expect_error(
        fetch(session, publisher.url("/slow"), policy(publisher, read_timeout_s=0.3)), "timeout"
    )


async def test_a_trickling_body_hits_the_total_cap(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    # A byte every 50 ms never trips the 0.3 s read timeout; the 3x total cap ends it.
    await expect_error(
        fetch(session, publisher.url("/trickle"), policy(publisher, read_timeout_s=0.3)),
        "timeout",
    )


async def test_a_declared_content_length_past_the_cap_is_refused_before_reading(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    # The server never sends the body: reading it would end in "timeout", not "too-large".
    await expect_error(
        fetch(session, publisher.url("/declared-too-large"), policy(publisher)), "too-large"
    )


async def test_a_chunked_body_without_content_length_stops_at_the_cap(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    await expect_error(
        fetch(session, publisher.url("/chunked-too-large"), policy(publisher)), "too-large"
    )


async def test_a_close_delimited_body_stops_at_the_cap(session: aiohttp.ClientSession) -> None:
    """HTTP/1.0 style: no Content-Length, no chunks, the body ends when the socket closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n"
        )
        with suppress(*CLIENT_GONE):
            for _ in range(64):
                writer.write(b"y" * (64 * KIB))
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        local = FetchPolicy(
            user_agent=USER_AGENT,
            max_bytes=1024 * KIB,
            allowed_hosts=frozenset({f"127.0.0.1:{port}"}),
        )
        await expect_error(fetch(session, f"http://127.0.0.1:{port}/", local), "too-large")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_gzip_body_arrives_decompressed(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    result = await fetch(session, publisher.url("/gzip"), policy(publisher))
    assert result.body == CAP_LATIN1 * 50
    assert "gzip" in publisher.headers_of("/gzip")["Accept-Encoding"]


async def test_a_gzip_bomb_is_too_large_without_inflating_it(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    """64 KiB on the wire (under the 1 MiB cap) inflating to 64 MiB: the cap counts the
    decompressed bytes, and memory stays far below what inflating it all would take."""
    gzip_bomb()  # built before measuring
    tracemalloc.start()
    try:
        await expect_error(fetch(session, publisher.url("/bomb"), policy(publisher)), "too-large")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * KIB


async def test_an_undecodable_gzip_body_is_a_bad_encoding(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    await expect_error(
        fetch(session, publisher.url("/bad-gzip"), policy(publisher)), "bad-encoding"
    )


async def test_a_refused_connection_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port nobody listens on (bound, then closed)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    local = FetchPolicy(user_agent=USER_AGENT, allow_private_addresses=True)
    await expect_error(fetch(session, f"http://127.0.0.1:{port}/", local), "connection")


async def test_an_untrusted_certificate_is_a_tls_error(tmp_path: Path) -> None:
    """A self-signed HTTPS origin on 127.0.0.1: refused by default, fetched once trusted."""
    server_tls, client_tls = _self_signed_tls(tmp_path)
    started, runner = await _start_publisher(server_tls)
    try:
        rules = policy(started)
        async with aiohttp.ClientSession() as untrusting:
            await expect_error(fetch(untrusting, started.url("/cap"), rules), "tls")
        trusting = aiohttp.TCPConnector(ssl=client_tls)
        async with aiohttp.ClientSession(connector=trusting) as client:
            result = await fetch(client, started.url("/cap"), rules)
        assert result.body == CAP_UTF8 and result.url.startswith("https://")
        # The same through the policy: a feed's own CA bundle, on a plain session.
        own_ca = dataclasses.replace(rules, ssl_context=client_tls)
        async with aiohttp.ClientSession() as plain:
            result = await fetch(plain, started.url("/cap"), own_ca)
        assert result.body == CAP_UTF8
    finally:
        started.released.set()
        await runner.cleanup()


def _self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def test_a_name_that_does_not_resolve_is_a_connection_error(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_such_name(host: str, port: int | None) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetch_addresses, "resolve", no_such_name)  # no DNS query leaves
    await expect_error(fetch(session, "https://feed.invalid/cap", policy()), "connection")


# --- schemes, redirects, private addresses -------------------------------------------------


async def test_redirects_within_the_limit_are_followed(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    result = await fetch(session, publisher.url("/hop/5"), policy(publisher, max_redirects=5))
    assert result.status == "new" and result.url == publisher.url("/hop/0")


async def test_a_redirect_chain_past_max_redirects_is_refused(
    session: aiohttp.ClientSession, publisher: Publisher
) -> None:
    url = publisher.url("/hop/6")
    await expect_error(
        fetch(session, url, policy(publisher, max_redirects=5)), "too-many-redirects"
    )
    assert publisher.paths == [f"/hop/{left}" for left in range(6, 0, -1)]


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.org/alerts.xml", "data:text/xml,<alert/>"]
)
async def test_a_redirect_to_another_scheme_is_refused(
    session: aiohttp.ClientSession, publisher: Publisher, started_urls: list[str], target: str
) -> None:
    url = str(URL(publisher.url("/redirect")).with_query(to=target))
    await expect_error(fetch(session, url, policy(publisher)), "scheme")
    assert started_urls == [url]


async def test_a_first_url_of_another_scheme_is_refused(session: aiohttp.ClientSession) -> None:
    await expect_error(fetch(session, "file:///etc/passwd", policy()), "scheme")


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",  # resolved (only resolved) to a loopback address
    ],
)
async def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    session: aiohttp.ClientSession, publisher: Publisher, started_urls: list[str], target: str
) -> None:
    url = str(URL(publisher.url("/redirect")).with_query(to=target))
    await expect_error(fetch(session, url, policy(publisher)), "private-address")
    assert publisher.paths == ["/redirect"]
    assert started_urls == [url]  # the client never started a request to the target


async def test_a_first_url_on_a_private_address_is_refused_unless_allowed(
    session: aiohttp.ClientSession, publisher: Publisher, started_urls: list[str]
) -> None:
    await expect_error(fetch(session, publisher.url("/cap"), policy()), "private-address")
    await expect_error(fetch(session, "http://10.0.0.1/cap", policy()), "private-address")
    assert started_urls == [] and publisher.paths == []
    allowed = FetchPolicy(user_agent=USER_AGENT, allow_private_addresses=True)
    assert (await fetch(session, publisher.url("/cap"), allowed)).status == "new"


class _AnswersLoopback(AbstractResolver):
    """A DNS that rebinds: whatever the name, 127.0.0.1 (where only our server listens)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


async def test_the_guard_resolver_closes_the_dns_rebinding_gap(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first check sees a public address; aiohttp's own lookup then gets loopback."""

    async def public(host: str, port: int | None) -> list[str]:
        return ["93.184.216.34"]

    monkeypatch.setattr(fetch_addresses, "resolve", public)
    rules = policy()
    connector = aiohttp.TCPConnector(resolver=AddressGuardResolver(rules, inner=_AnswersLoopback()))
    port = URL(publisher.base).port
    async with aiohttp.ClientSession(connector=connector) as guarded:
        await expect_error(
            fetch(guarded, f"http://feed.invalid:{port}/cap", rules), "private-address"
        )
    assert publisher.paths == []


async def test_open_session_fetches_and_its_resolver_refuses_private_names(
    publisher: Publisher,
) -> None:
    rules = policy(publisher)
    async with open_session(rules) as guarded:
        assert (await fetch(guarded, publisher.url("/cap"), rules)).body == CAP_UTF8
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await guarded.get(f"http://localhost:{URL(publisher.base).port}/cap")
        assert isinstance(caught.value.os_error, RefusedAddressError)
    assert publisher.paths == ["/cap"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert (refusal("feed.example", address) is None) is public


# --- pacing ----------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    top = Backoff(base_s=1.0, cap_s=10.0, random=lambda: 1.0)
    assert [top.failure() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert top.consecutive_failures == 6
    half = Backoff(base_s=2.0, cap_s=100.0, random=lambda: 0.5)
    assert [half.failure() for _ in range(3)] == [1.0, 2.0, 4.0]


def test_backoff_honours_retry_after_capped_at_an_hour() -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0, random=lambda: 0.0)
    assert backoff.failure(retry_after_s=30.0) == 30.0
    assert backoff.failure(retry_after_s=7 * 24 * 3600.0) == MAX_RETRY_AFTER_S
    assert backoff.failure(retry_after_s=None) == 0.0
    assert Backoff(1.0, 60.0, random=lambda: 1.0).failure(retry_after_s=0.5) == 1.0


def test_backoff_success_resets_and_long_outages_do_not_overflow() -> None:
    backoff = Backoff(base_s=1.0, cap_s=300.0, random=lambda: 1.0)
    delays = [backoff.failure() for _ in range(5000)]
    assert delays[-1] == 300.0
    backoff.success()
    assert backoff.consecutive_failures == 0 and backoff.failure() == 1.0
    with pytest.raises(ValueError):
        Backoff(base_s=10.0, cap_s=1.0)


def test_parse_retry_after() -> None:
    now = 1_000_000_000.0
    date = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after("120", now=lambda: now) == 120.0
    assert parse_retry_after(f" {date} ", now=lambda: now) == 90.0
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now=lambda: now) == 0
    assert parse_retry_after("-5") is None and parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_host_limiter_bounds_each_host_separately() -> None:
    limiter = HostLimiter(per_host=2)
    gate = asyncio.Event()
    inside: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def job(url: str) -> None:
        key = HostLimiter.key(url)
        async with limiter.slot(url):
            inside[key] = inside.get(key, 0) + 1
            peak[key] = max(peak.get(key, 0), inside[key])
            await gate.wait()
            inside[key] -= 1

    urls = [f"https://a.example/feed/{n}" for n in range(5)] + ["http://b.example/x"] * 3
    tasks = [asyncio.create_task(job(url)) for url in urls]
    for _ in range(5):
        await asyncio.sleep(0)
    assert inside == {"https://a.example:443": 2, "http://b.example:80": 2}
    gate.set()
    await asyncio.gather(*tasks)
    assert peak == {"https://a.example:443": 2, "http://b.example:80": 2}


def test_host_limiter_keys_are_origins_with_default_ports() -> None:
    assert HostLimiter.key("http://Example.org/a") == HostLimiter.key("http://example.org:80/b")
    assert HostLimiter.key("https://example.org/") == "https://example.org:443"
    assert HostLimiter.key("http://example.org:8080/") != HostLimiter.key("http://example.org/")
