"""`cinealert ingest`: poll CAP alert feeds and produce new alerts to the input topic.

Same settings, logging, metrics and probes as `cinealert run`: ``/readyz`` turns true
once the broker answers and every feed had one successful poll (at once for an empty
feed list). ``--feeds FILE`` (or ``CINEALERT_INGEST_FEEDS``) names the feed list;
``--url URL [--format F]`` polls one feed without a file; ``--once`` runs one poll of
every feed and exits 0 when all succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from daemon.feeds.feed_list import (
    DEFAULT_USER_AGENT,
    FORMATS,
    FeedListError,
    FeedSpec,
    load_feed_list,
    single_feed,
)
from daemon.feeds.fetch import FetchPolicy, open_session
from daemon.feeds.ingester import FeedIngester
from daemon.feeds.metrics import create_feed_metrics
from daemon.feeds.state import load_state
from daemon.kafka.client_config import client_kwargs, producer_kwargs
from daemon.kafka.topics import COMPACTED, TopicCreationError, TopicSpec, ensure_topics
from daemon.runtime.health import BROKER_CONNECTED, Health
from daemon.runtime.http_server import HttpServer
from daemon.runtime.logging_setup import configure_logging, get_logger
from daemon.runtime.settings import Settings, SettingsError, load_settings

HELP = "poll CAP alert feeds and produce new alerts to the input topic"
FEEDS_POLLED = "feeds_polled"

log = get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the feed source (a list or one URL), ``--once`` and ``--config``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (TOML)")
    source.add_argument("--url", help="poll this one feed (no feed list)")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="with --url")
    parser.add_argument("--once", action="store_true", help="one poll of every feed, then exit")
    parser.add_argument("--config", type=Path, help="TOML settings file")


def run(args: argparse.Namespace) -> int:
    """Exit 0 after a clean stop (or a fully successful --once), 1 when a --once poll
    failed or the broker is unreachable, 2 on bad settings or a bad feed list."""
    try:
        settings = load_settings(config_file=args.config)
        feeds = _feeds(args, settings)
    except (SettingsError, FeedListError, OSError) as error:
        print(f"cinealert ingest: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return asyncio.run(serve(settings, feeds, once=args.once))
    except (KafkaError, OSError, TopicCreationError) as error:
        log.error("ingest_broker_unavailable", error=repr(error))
        return 1


def _feeds(args: argparse.Namespace, settings: Settings) -> list[FeedSpec]:
    if args.url:
        return [single_feed(args.url, args.format)]
    path = args.feeds or settings.ingest_feeds
    if path is None:
        raise FeedListError(
            "-", "--feeds", "give --feeds FILE, --url URL or CINEALERT_INGEST_FEEDS"
        )
    return load_feed_list(path)


async def serve(settings: Settings, feeds: list[FeedSpec], *, once: bool = False) -> int:
    """Load the state, then poll (once, or until SIGTERM/SIGINT)."""
    metrics = create_feed_metrics()
    health = Health(checks=(BROKER_CONNECTED, FEEDS_POLLED))
    http = HttpServer(health, metrics.registry, settings.http_host, settings.http_port)
    if settings.create_topics:
        await ensure_topics(settings, ingest_topics(settings))
    producer = await start_producer(settings)
    try:
        state = await load_state(
            client_kwargs(settings), settings.ingest_state_topic, settings.input_topic, producer
        )
        health.set_broker_connected(True)
        allowed = frozenset(
            h.strip() for h in settings.ingest_allowed_hosts.split(",") if h.strip()
        )
        # The session's resolver refuses private addresses at connect time too (no DNS
        # rebinding); the per-feed policies only differ in headers.
        session_policy = FetchPolicy(user_agent=DEFAULT_USER_AGENT, allowed_hosts=allowed)
        async with open_session(session_policy) as session:
            ingester = FeedIngester(
                feeds,
                state=state,
                producer=producer,
                session=session,
                metrics=metrics,
                input_topic=settings.input_topic,
                dlq_topic=settings.dlq_topic,
                limits=settings.parse_limits,
                allowed_hosts=allowed,
            )
            if once:
                return 0 if await ingester.run_once() else 1
            return await _serve_forever(ingester, health, http, bool(feeds))
    finally:
        await producer.stop()


async def _serve_forever(
    ingester: FeedIngester, health: Health, http: HttpServer, has_feeds: bool
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    health.set_check(FEEDS_POLLED, not has_feeds)
    await http.start()
    health.start_heartbeat()
    log.info("ingest_started", http=http.url, feeds=[feed.name for feed in ingester.feeds])

    async def watch_readiness() -> None:
        while not stop.is_set():
            health.set_check(FEEDS_POLLED, ingester.all_polled)
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch_readiness())
    try:
        await ingester.run(stop)
    finally:
        watcher.cancel()
        await health.stop_heartbeat()
        await http.stop()
    log.info("ingest_stopped")
    return 0


async def start_producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent producer (a retried send is not written twice), or — on a broker that
    cannot give out producer ids, like the embedded one — a plain acks=all producer; the
    ingester's state then still keeps an alert from being produced twice by a poll."""
    producer = AIOKafkaProducer(**producer_kwargs(settings), enable_idempotence=True)
    try:
        await producer.start()
        return producer
    except KafkaError as error:
        await producer.stop()
        log.warning("idempotent_producer_unavailable", error=repr(error))
    producer = AIOKafkaProducer(**producer_kwargs(settings))
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer


def ingest_topics(settings: Settings) -> list[TopicSpec]:
    """The topics the ingester writes: input, dead letters, and its compacted state."""
    return [
        TopicSpec(settings.input_topic, settings.topic_partitions),
        TopicSpec(settings.dlq_topic, settings.topic_partitions),
        TopicSpec(settings.ingest_state_topic, 1, dict(COMPACTED)),
    ]
