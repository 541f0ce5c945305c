"""`cinealert bench relay`: the daemon's cache-hit path against a bare Kafka relay.

Both relays run in this process against the same broker in the same run:

- **bare**: an aiokafka group consumer that produces every message unchanged to an
  output topic (consume → produce, manual commits) — the floor any Kafka service pays;
- **daemon**: the real `AlertService` (parse, classify, dedupe, decide, priority, cache
  lookup, record build, publish, out-of-order commit tracking) with the hazard cache
  pre-filled on its compacted topic, so every alert is a cache hit. Its renderer
  refuses to render: a render during the benchmark would be a bug and fails the run.

Throughput: N alerts are loaded first, then each relay drains them; the rate is
(N - 1) / (last - first output timestamp). Alongside it, the process CPU time spent
per message while the outputs arrive (both relays run in this process, one after the
other): a shared, busy machine stretches wall time far more than CPU time.
Latency: alerts produced at a fixed rate, each timed from its send to its output
arriving at a consumer here.

This module owns the daemon's side (the refusing renderer, the pre-filled cache, the
service's settings), the run as a whole, its result and the CLI; the Kafka load, the bare
relay and the timing live in ``bench.relay_harness``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.relay_harness import (
    RelayBenchError,
    bare_relay,
    cap_alert,
    create_topics,
    measure,
    percentile,
    produce,
)
from daemon.cache.hazard_cache import CachedMedia, CacheVariant, cache_key
from daemon.kafka.broker import EmbeddedBroker
from daemon.media.local_store import LocalDirectoryStore
from daemon.runtime.health import Health
from daemon.runtime.logging_setup import configure_logging
from daemon.runtime.metrics import create_metrics
from daemon.runtime.settings import Settings
from daemon.service.app import AlertService
from daemon.service.render_workers import RenderWorkers
from pipeline.interface import RenderError, RenderRequest, RenderResult

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
HAZARD = "flood"
PROFILE = "bench"


class RefusingRenderer:
    """The daemon's renderer during the benchmark: every alert must be a cache hit."""

    @property
    def profile(self) -> str:
        """Part of the cache key the benchmark pre-fills."""
        return PROFILE

    def warm_up(self) -> None:
        """Nothing to load."""

    def render(self, request: RenderRequest) -> RenderResult:
        """Refuse: a render means the cache-hit path was not what got measured."""
        raise RenderError("bench-render-refused", f"unexpected render of {request.hazard}")


@dataclass(frozen=True)
class RelayResult:
    """Numbers of one run."""

    messages: int
    bare_per_s: float
    daemon_per_s: float
    ratio: float
    bare_cpu_us: float
    daemon_cpu_us: float
    cpu_ratio: float
    rate_per_s: float
    latency_alerts: int
    daemon_p50_ms: float
    daemon_p99_ms: float
    bare_p50_ms: float
    bare_p99_ms: float
    ratio_target_met: bool
    p99_target_met: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sizes, rate, and an optional external broker."""
    parser.add_argument("--messages", type=int, default=3000, help="alerts for throughput")
    parser.add_argument("--rate", type=float, default=500.0, help="offered alerts/s for latency")
    parser.add_argument("--seconds", type=float, default=6.0, help="latency phase duration")
    parser.add_argument("--bootstrap", help="use this broker instead of an embedded one")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--log-level", default="WARNING", help="daemon log level (WARNING)")


async def run_relays(bootstrap: str, args: argparse.Namespace) -> RelayResult:
    """The whole benchmark on ``bootstrap``: bare relay first, then the daemon, same load."""
    run_id = uuid.uuid4().hex[:8]
    names = {n: f"bench-{n}-{run_id}" for n in ("bare-in", "bare-out", "in", "out", "dlq", "cache")}
    await create_topics(bootstrap, list(names.values()), {names["cache"]})
    now = datetime.now(UTC)
    items = [(f"t-{i}".encode(), cap_alert(f"t-{i}", now)) for i in range(args.messages)]
    await produce(bootstrap, names["bare-in"], items)
    await produce(bootstrap, names["in"], items)
    await seed_cache(bootstrap, names["cache"])

    async def bare(stop: asyncio.Event) -> None:
        await bare_relay(bootstrap, names["bare-in"], names["bare-out"], stop)

    bare_rate, bare_cpu, bare_lat = await measure(
        bootstrap, names["bare-in"], names["bare-out"], bare, args=args, prefix="b"
    )
    with tempfile.TemporaryDirectory() as media_dir:
        settings = Settings(
            bootstrap_servers=bootstrap,
            group_id=f"bench-daemon-{run_id}",
            input_topic=names["in"],
            output_topic=names["out"],
            dlq_topic=names["dlq"],
            cache_topic=names["cache"],
            create_topics=False,
            http_port=0,
            media_dir=Path(media_dir),
        )
        metrics = create_metrics()
        service = AlertService(
            settings,
            RenderWorkers([RefusingRenderer()], settings.render_deadline_s),
            LocalDirectoryStore(settings.media_dir, settings.resolved_media_base_url),
            metrics,
            Health(metrics=metrics),
        )
        daemon_rate, daemon_cpu, daemon_lat = await measure(
            bootstrap, names["in"], names["out"], service.run, args=args, prefix="d"
        )
    cached = metrics.records_published.labels(status="cached")._value.get()
    if cached != args.messages + len(daemon_lat):
        raise RelayBenchError(f"{cached} cache hits for {args.messages + len(daemon_lat)} alerts")
    ratio = daemon_rate / bare_rate
    p99 = percentile(daemon_lat, 0.99)
    return RelayResult(
        messages=args.messages,
        bare_per_s=round(bare_rate, 1),
        daemon_per_s=round(daemon_rate, 1),
        ratio=round(ratio, 3),
        bare_cpu_us=round(bare_cpu, 1),
        daemon_cpu_us=round(daemon_cpu, 1),
        cpu_ratio=round(bare_cpu / daemon_cpu, 3),
        rate_per_s=args.rate,
        latency_alerts=len(daemon_lat),
        daemon_p50_ms=round(percentile(daemon_lat, 0.5), 2),
        daemon_p99_ms=round(p99, 2),
        bare_p50_ms=round(percentile(bare_lat, 0.5), 2),
        bare_p99_ms=round(percentile(bare_lat, 0.99), 2),
        ratio_target_met=ratio >= TARGET_RATIO,
        p99_target_met=p99 <= TARGET_P99_MS,
    )


async def seed_cache(bootstrap: str, topic: str) -> None:
    """Put one variant for the benchmark's hazard on the cache topic (as a render would)."""
    now = time.time()
    variant = CacheVariant(
        cache_key=cache_key(HAZARD, "cinemagraph", PROFILE),
        slot=0,
        media=(CachedMedia("http://bench/m.gif", "gif", 64, 64, 8, 8.0, 1000, "0" * 64),),
        poster_url="http://bench/p.png",
        alt_text="flood water rising",
        prompt="a flooded street, no people",
        clip_score=25.0,
        models={"t2i": "bench"},
        created_at=now,
        expires_at=now + 3600,
    )
    await produce(bootstrap, topic, [(variant.message_key.encode(), variant.to_json())])


def run(args: argparse.Namespace) -> int:
    """Run against ``--bootstrap`` or a fresh embedded broker; exit 0 when targets are met."""
    if args.messages < 2 or args.rate <= 0 or args.seconds <= 0:
        print(
            "cinealert bench relay: need --messages >= 2, --rate > 0, --seconds > 0",
            file=sys.stderr,
        )
        return 2
    # A log line per record is the operator's choice (INFO); the benchmark measures the
    # relay itself, so it logs warnings only (docs/BENCHMARKS.md says so).
    configure_logging(args.log_level, "console")
    result = _with_broker(args.bootstrap, lambda bootstrap: run_relays(bootstrap, args))
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(f"throughput ({result.messages} alerts, cache hits):")
        print(f"  bare aiokafka relay  {result.bare_per_s:10.1f} msg/s")
        print(f"  daemon               {result.daemon_per_s:10.1f} alerts/s")
        print(f"  ratio                {result.ratio:10.3f}  (target >= {TARGET_RATIO})")
        print(
            f"  CPU per message      bare {result.bare_cpu_us:.0f} µs, daemon"
            f" {result.daemon_cpu_us:.0f} µs (bare/daemon {result.cpu_ratio:.3f})"
        )
        print(f"latency at {result.rate_per_s:.0f} alerts/s ({result.latency_alerts} alerts):")
        print(
            f"  daemon p50 / p99     {result.daemon_p50_ms:7.2f} / {result.daemon_p99_ms:.2f} ms"
            f"  (target p99 <= {TARGET_P99_MS} ms)"
        )
        print(f"  bare   p50 / p99     {result.bare_p50_ms:7.2f} / {result.bare_p99_ms:.2f} ms")
    return 0 if result.ratio_target_met and result.p99_target_met else 1


def _with_broker(
    bootstrap: str | None, work: Callable[[str], Coroutine[Any, Any, RelayResult]]
) -> RelayResult:
    if bootstrap is not None:
        return asyncio.run(work(bootstrap))
    broker = EmbeddedBroker()
    broker.start()
    try:
        return asyncio.run(work(broker.bootstrap))
    finally:
        broker.close()
