"""The daemon's HTTP endpoints on aiohttp, inside the daemon's own event loop.

``/healthz`` (liveness), ``/readyz`` (readiness, JSON body naming each check) and
``/metrics`` (Prometheus text). Other parts mount more routes (e.g. ``/media/``)
with :meth:`HttpServer.add_route` / :meth:`HttpServer.add_static` before ``start``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from daemon.runtime.health import Health


class HttpServerError(RuntimeError):
    """The server was used in the wrong state (routes after start, port before start)."""


class HttpServer:
    """aiohttp application with the probe and metrics routes; ``port=0`` picks a free port."""

    def __init__(
        self, health: Health, registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.health = health
        self.registry = registry
        self.host = host
        self._requested_port = port
        self._bound_port: int | None = None
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics)
        self._runner: web.AppRunner | None = None

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Mount an extra route; only before :meth:`start` (aiohttp freezes the router)."""
        self._require_not_started(path)
        self.app.router.add_route(method, path, handler)

    def add_static(self, prefix: str, directory: Path) -> None:
        """Serve files of ``directory`` under ``prefix`` (e.g. ``/media``); before start."""
        self._require_not_started(prefix)
        if not directory.is_dir():
            raise HttpServerError(f"static directory {directory} does not exist")
        self.app.router.add_static(prefix, directory, follow_symlinks=False)

    @property
    def port(self) -> int:
        """The port actually bound (known once started)."""
        if self._bound_port is None:
            raise HttpServerError("HTTP server not started yet")
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL for clients on this host."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve; also starts the liveness heartbeat."""
        if self._runner is not None:
            raise HttpServerError("HTTP server already started")
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._bound_port = int(address[1])
        self.health.start_heartbeat()

    async def stop(self) -> None:
        """Stop serving and stop the heartbeat."""
        await self.health.stop_heartbeat()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _require_not_started(self, what: str) -> None:
        if self._runner is not None:
            raise HttpServerError(f"cannot add {what!r}: the HTTP server is already started")

    async def _healthz(self, _request: web.Request) -> web.Response:
        liveness = self.health.liveness()
        body = {"alive": liveness.alive, "heartbeat_age_s": round(liveness.heartbeat_age_s, 3)}
        return web.json_response(body, status=200 if liveness.alive else 503)

    async def _readyz(self, _request: web.Request) -> web.Response:
        readiness = self.health.readiness()
        body: dict[str, object] = {
            "ready": readiness.ready,
            "checks": readiness.checks,
            "skipped_inputs": readiness.skipped_inputs,
            "last_skipped": asdict(readiness.last_skipped) if readiness.last_skipped else None,
        }
        return web.json_response(body, status=200 if readiness.ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
