"""HTTP probes and metrics on a real aiohttp server, and `cinealert check` against it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from daemon.cli import main as cinealert
from daemon.runtime.health import Health
from daemon.runtime.http_server import HttpServer, HttpServerError
from daemon.runtime.metrics import create_metrics


class ManualClock:
    """A clock the test moves by hand, so staleness needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    metrics = create_metrics()
    health = Health(interval_s=0.05, stale_after_s=5.0, metrics=metrics)
    http = HttpServer(health, metrics.registry, port=0)
    await http.start()
    yield http
    await http.stop()


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_is_200_while_the_loop_beats(server: HttpServer) -> None:
    status, _, body = await _get(server.url + "/healthz")
    assert status == 200
    assert '"alive": true' in body


async def test_healthz_is_503_when_the_heartbeat_is_stale() -> None:
    clock = ManualClock()
    # A long interval: after its first beat the heartbeat task stays asleep for the test.
    health = Health(interval_s=60.0, stale_after_s=120.0, clock=clock)
    http = HttpServer(health, create_metrics().registry, port=0)
    await http.start()
    try:
        await asyncio.sleep(0)  # let the heartbeat task make its first beat
        assert (await _get(http.url + "/healthz"))[0] == 200
        clock.now += 300.0  # as if the loop had been blocked for 5 minutes
        status, _, body = await _get(http.url + "/healthz")
    finally:
        await http.stop()
    assert status == 503
    assert '"alive": false' in body


async def test_readyz_names_what_is_missing(server: HttpServer) -> None:
    status, _, body = await _get(server.url + "/readyz")
    assert status == 503
    assert '"broker_connected": false' in body
    assert '"renderer_warm": false' in body

    server.health.set_broker_connected(True)
    status, _, body = await _get(server.url + "/readyz")
    assert status == 503
    assert '"broker_connected": true' in body
    assert '"renderer_warm": false' in body

    server.health.set_renderer_warm(True)
    status, _, body = await _get(server.url + "/readyz")
    assert status == 200
    assert '"ready": true' in body


async def test_metrics_serves_the_registry_with_the_prometheus_content_type() -> None:
    metrics = create_metrics()
    health = Health(metrics=metrics)
    http = HttpServer(health, metrics.registry, port=0)
    await http.start()
    try:
        metrics.alerts_consumed.inc(3)
        health.set_renderer_warm(True)
        status, content_type, body = await _get(http.url + "/metrics")
    finally:
        await http.stop()
    assert status == 200
    assert content_type == CONTENT_TYPE_LATEST
    assert "cinealert_messages_consumed_total 3.0" in body
    assert "cinealert_renderer_ready 1.0" in body
    assert "cinealert_broker_connected 0.0" in body


async def test_extra_routes_and_static_media(tmp_path: Path) -> None:
    (tmp_path / "a.gif").write_bytes(b"GIF89a-bytes")

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hi")

    http = HttpServer(Health(), create_metrics().registry, port=0)
    http.add_route("GET", "/hello", hello)
    http.add_static("/media", tmp_path)
    await http.start()
    try:
        assert (await _get(http.url + "/hello"))[2] == "hi"
        assert (await _get(http.url + "/media/a.gif"))[2] == "GIF89a-bytes"
        assert (await _get(http.url + "/media/missing.gif"))[0] == 404
        with pytest.raises(HttpServerError, match="already started"):
            http.add_route("GET", "/late", hello)
    finally:
        await http.stop()


def test_port_is_unknown_before_start() -> None:
    with pytest.raises(HttpServerError, match="not started"):
        _ = HttpServer(Health(), create_metrics().registry).port


def test_health_rejects_an_interval_longer_than_staleness() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        Health(interval_s=5.0, stale_after_s=1.0)


async def test_heartbeat_task_keeps_stamping() -> None:
    health = Health(interval_s=0.01, stale_after_s=1.0)
    health.start_heartbeat()
    try:
        before = health.liveness().heartbeat_age_s
        # Block the loop's thread briefly, then yield: the next beat resets the age.
        time.sleep(0.05)
        assert health.liveness().heartbeat_age_s >= 0.05 > before
        await asyncio.sleep(0.05)
        assert health.liveness().heartbeat_age_s < 0.05
    finally:
        await health.stop_heartbeat()


async def test_check_command_exit_codes(server: HttpServer) -> None:
    not_ready = await asyncio.to_thread(cinealert, ["check", "--url", server.url])
    server.health.set_broker_connected(True)
    server.health.set_renderer_warm(True)
    ready = await asyncio.to_thread(cinealert, ["check", "--url", server.url])
    liveness = await asyncio.to_thread(
        cinealert, ["check", "--url", server.url, "--path", "/healthz"]
    )
    assert (not_ready, ready, liveness) == (1, 0, 0)


def test_check_command_fails_when_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    assert cinealert(["check", "--url", f"http://127.0.0.1:{port}", "--timeout", "1"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_check_command_uses_settings_and_reports_bad_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CINEALERT_HTTP_PORT", "not-a-port")
    assert cinealert(["check"]) == 2
    assert "CINEALERT_HTTP_PORT" in capsys.readouterr().err
