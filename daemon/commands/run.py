"""`cinealert run`: load settings, start HTTP probes and the alert service, stop on a signal."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from cap.trust_store import TrustStore, TrustStoreError
from daemon.media.factory import build_media_store
from daemon.runtime.health import Health
from daemon.runtime.http_server import HttpServer
from daemon.runtime.logging_setup import configure_logging, get_logger
from daemon.runtime.metrics import create_metrics
from daemon.runtime.settings import Settings, SettingsError, load_settings
from daemon.service.app import AlertService, RendererWarmUpError
from daemon.service.render_workers import RenderWorkers
from daemon.service.renderer_factory import RendererFactoryError, build_renderers

HELP = "run the daemon: consume CAP alerts, render, publish media records"

log = get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--config``."""
    parser.add_argument(
        "--config", type=Path, help="TOML settings file (else CINEALERT_CONFIG, then env only)"
    )


def run(args: argparse.Namespace) -> int:
    """Exit 0 after a clean shutdown, 1 when the renderer cannot start, 2 on bad settings."""
    try:
        settings = load_settings(config_file=args.config)
    except SettingsError as error:
        print(f"cinealert run: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if settings.trust_store is not None:
        try:
            TrustStore.from_paths([settings.trust_store])
        except TrustStoreError as error:
            print(f"cinealert run: CINEALERT_TRUST_STORE: {error}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(serve(settings))
    except (RendererFactoryError, RendererWarmUpError) as error:
        log.error("renderer_unavailable", error=str(error))
        return 1


async def serve(settings: Settings) -> int:
    """Run HTTP and the service until SIGTERM/SIGINT; returns the exit status."""
    metrics = create_metrics()
    health = Health(metrics=metrics)
    workers = RenderWorkers(build_renderers(settings), settings.render_deadline_s)
    media_store = build_media_store(settings, create_bucket=False)
    http = HttpServer(health, metrics.registry, settings.http_host, settings.http_port)
    if settings.media_backend == "local":
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        http.add_static("/media", settings.media_dir)
    service = AlertService(settings, workers, media_store, metrics, health)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await http.start()
    log.info(
        "daemon_started",
        http=http.url,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.group_id,
        input_topic=settings.input_topic,
        output_topic=settings.output_topic,
        dlq_topic=settings.dlq_topic,
        cache_topic=settings.cache_topic,
        models=settings.models,
        render_method=settings.render_method,
        renderers=workers.size,
        media_backend=settings.media_backend,
    )
    try:
        await service.run(stop)
    finally:
        await http.stop()
        await media_store.close()
    log.info("daemon_stopped")
    if workers.busy_count():
        exit_leaving_render_threads(workers.busy_count())
    return 0


def exit_leaving_render_threads(count: int) -> NoReturn:
    """Exit at once while abandoned renders still run in their threads.

    A render past its deadline (or past the shutdown grace) cannot be stopped, and its
    result is no longer wanted: its alert already has a `failed` record or was left
    uncommitted for redelivery. Normal interpreter shutdown under a thread still inside
    torch aborts the process ("terminate called without an active exception", status
    134), so skip finalisation; everything that matters was flushed and committed.
    """
    log.warning("exit_with_render_threads_running", threads=count)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
