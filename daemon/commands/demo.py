"""`cinealert demo` (= `make run`): the whole product on one machine, end to end.

1. start the embedded broker; 2. start `cinealert run` as a child process (tiny models
on CPU unless ``CINEALERT_MODELS=full``) and wait for ``/readyz`` while it warms up;
3. replay the bundled recorded stream with every CAP date shifted to now; 4. print each
terminal record as it arrives, then a table, and write a web page of every alert's
animation (daemon/streams/demo_page.py) into the media directory; 5. keep serving the
media and the page until Ctrl-C (or exit at once with ``--exit-when-done``), then stop
the daemon and the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from aiokafka.errors import KafkaError

from daemon.commands.demo_feed import feed_table, run_feed_demo
from daemon.kafka.broker import BrokerError, EmbeddedBroker, find_free_port
from daemon.kafka.client_config import producer_kwargs
from daemon.runtime.daemon_process import DaemonProcess, DaemonProcessError, ReadinessProbe
from daemon.runtime.settings import Settings, SettingsError, env_name, load_settings
from daemon.streams.demo_page import write_demo_page
from daemon.streams.demo_results import (
    ExpectedResults,
    ResultBoard,
    expected_results,
    merge_boards,
    results_table,
    status_counts,
)
from daemon.streams.format import StreamMessage, read_stream
from daemon.streams.player import check_speed, play
from daemon.streams.record_collector import RecordCollector
from daemon.streams.retime import retime_messages

HELP = "the main job: broker + daemon + replay of the bundled stream + results table"

DEFAULT_HTTP_PORT = 8080
EXIT_INCOMPLETE = 1
EXIT_SETUP = 2
EXIT_INTERRUPTED = 130
REPLAY_REPORT_EVERY = 5
# The daemon's CINEALERT_CARD_POLICY unless the user sets one. The tiny demo models draw
# noise; an alert card (pipeline/card) shows what the product is for, so every alert that
# waits for a render gets one at once (a provisional record), then its tiny render: the
# whole chain still runs. "only" would make cards instead of renders (no model loaded).
DEMO_CARD_POLICY = "first"
# Where the page goes inside the media directory, so the daemon's /media/ route serves it.
PAGE_PATH = "demo/index.html"


def bundled_stream() -> Path:
    """The recorded stream shipped with the package (daemon/data/demo-stream.jsonl)."""
    return Path(str(resources.files("daemon").joinpath("data/demo-stream.jsonl")))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the demo's options."""
    parser.add_argument(
        "--stream", type=Path, default=None, help="recorded stream to replay (default: bundled)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"daemon HTTP port for probes and /media (default {DEFAULT_HTTP_PORT}, "
        "or a free port when it is taken; 0 = any free port)",
    )
    parser.add_argument(
        "--broker-port", type=int, default=None, help="embedded broker port (default: a free one)"
    )
    parser.add_argument(
        "--exit-when-done",
        action="store_true",
        help="stop as soon as the table is printed (tests, CI) instead of serving until Ctrl-C",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="replay speed; 0 = as fast as possible (default 1: the recorded timing)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=900.0,
        help="seconds to wait for the daemon to warm up (default 900)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds to wait for every alert's record after the replay (default 900)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("var/demo"),
        help="logs and (unless CINEALERT_MEDIA_DIR is set) media go here (default var/demo)",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file for the daemon")
    parser.add_argument(
        "--no-feeds",
        action="store_true",
        help="skip the feed part (cinealert ingest polling a local replay server)",
    )


def say(text: str) -> None:
    """Print a progress line at once (the demo is watched live)."""
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 when every alert got a record and none failed."""
    try:
        speed = check_speed(args.speed)
        stream = read_stream(args.stream or bundled_stream())
    except (ValueError, OSError) as error:
        print(f"cinealert demo: {error}", file=sys.stderr)
        return EXIT_SETUP
    # SIGTERM takes the same clean path as Ctrl-C: stop the daemon, then the broker.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    work_dir: Path = args.work_dir.resolve()
    broker = EmbeddedBroker(
        port=args.broker_port, die_with_parent=True, log_path=work_dir / "broker.log"
    )
    daemon: DaemonProcess | None = None
    try:
        say(f"starting the embedded Kafka broker on {broker.bootstrap} ...")
        broker.start(timeout_s=60.0)
        environment = daemon_environment(args, broker.bootstrap, work_dir)
        settings = load_settings(environ=environment, config_file=args.config)
        daemon = DaemonProcess(environment, work_dir / "daemon.log", settings.http_url)
        say(
            f"starting the daemon (models: {settings.models}, method: {settings.render_method}, "
            f"cards: {settings.card_policy}, media: {settings.media_backend}); "
            f"log: {daemon.log_path}"
        )
        daemon.start()
        started = time.monotonic()
        daemon.wait_ready(args.ready_timeout, progress=_report_warm_up)
        say(f"daemon ready after {time.monotonic() - started:.1f}s at {settings.http_url}")
        messages, expected = _prepare(stream.messages)
        say(
            f"replaying {len(messages)} messages from {args.stream or bundled_stream()} "
            f"(dates shifted to now): {len(expected.alerts)} valid alerts, "
            f"{expected.rejected_messages} malformed, {expected.duplicates} repeats"
        )
        board = asyncio.run(
            replay_and_collect(
                settings, messages, expected, speed=speed, timeout_s=args.timeout, report=say
            )
        )
        _print_results(board, settings)
        if not args.no_feeds:
            say("feeds: cinealert ingest polls a local server replaying a feed sequence ...")
            feed_board, feeds = asyncio.run(
                run_feed_demo(settings, environment, work_dir, timeout_s=args.timeout, report=say)
            )
            say("")
            say(feed_table(feed_board, feeds))
            say("")
            board = merge_boards(board, feed_board)
        records_path = _write_records(board, work_dir / "records.jsonl")
        say(f"the records, one JSON object per line: {records_path}")
        page_path, page_url = _write_page(board, settings, work_dir)
        if not board.complete:
            missing = ", ".join(alert.key[1] for alert in board.missing())
            say(
                f"TIMED OUT after {args.timeout:.0f}s: no record yet for {missing}; "
                f"see {daemon.log_path}; what arrived is on the page {page_path}"
            )
            return EXIT_INCOMPLETE
        failed = status_counts(board).get("failed", 0)
        if args.exit_when_done:
            # The page's media are the daemon's URLs: they load only while a demo serves.
            say(
                f"every alert's animation on one page: {page_path} "
                f"(served at {page_url or page_path.as_uri()} without --exit-when-done)"
            )
        else:
            _serve_until_interrupted(daemon, settings, page_url or page_path.as_uri())
        return EXIT_INCOMPLETE if failed else 0
    except (BrokerError, DaemonProcessError, SettingsError, KafkaError, OSError) as error:
        print(f"cinealert demo: {error}", file=sys.stderr)
        return EXIT_SETUP
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    finally:
        _shut_down(daemon, broker)


def daemon_environment(args: argparse.Namespace, bootstrap: str, work_dir: Path) -> dict[str, str]:
    """The child's environment: the user's, plus the demo broker, port and defaults."""
    environment = dict(os.environ)
    environment[env_name("bootstrap_servers")] = bootstrap
    environment[env_name("http_port")] = str(_http_port(args.port, environment))
    environment.setdefault(env_name("models"), "tiny")
    environment.setdefault(env_name("media_dir"), str(work_dir / "media"))
    environment.setdefault(env_name("card_policy"), DEMO_CARD_POLICY)
    # The log file is for machines and for `grep`; the terminal shows the demo's own lines.
    environment.setdefault(env_name("log_format"), "json")
    if args.config is not None:
        environment["CINEALERT_CONFIG"] = str(args.config)
    return environment


def _http_port(requested: int | None, environment: dict[str, str]) -> int:
    if requested == 0:
        # The demo must know the port to probe it, so "any port" is chosen here.
        return find_free_port()
    if requested is not None:
        return requested
    if environment.get(env_name("http_port")):
        return int(environment[env_name("http_port")])
    if _port_is_free(DEFAULT_HTTP_PORT):
        return DEFAULT_HTTP_PORT
    port = find_free_port()
    say(f"port {DEFAULT_HTTP_PORT} is taken; the daemon will listen on {port} instead")
    return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _report_warm_up(waited: float, probe: ReadinessProbe) -> None:
    if probe.checks:
        checks = ", ".join(f"{name}={'yes' if ok else 'no'}" for name, ok in probe.checks.items())
        say(f"  waiting for the daemon ({waited:.0f}s): warming up the models; {checks}")
    else:
        # Before its HTTP server is up the daemon is importing the pipeline (torch).
        say(f"  waiting for the daemon ({waited:.0f}s): starting up ({probe.problem})")


def _prepare(messages: list[StreamMessage]) -> tuple[list[StreamMessage], ExpectedResults]:
    retimed, _summary, _offset = retime_messages(messages, datetime.now(UTC))
    return retimed, expected_results(retimed)


async def replay_and_collect(
    settings: Settings,
    messages: list[StreamMessage],
    expected: ExpectedResults,
    *,
    speed: float,
    timeout_s: float,
    report: Callable[[str], None],
) -> ResultBoard:
    """Replay ``messages`` into the input topic and gather one record per expected alert.

    Returns once the replay is done and the board is complete, or ``timeout_s`` after
    the replay finished (the board then lists what is missing).
    """
    board = ResultBoard(expected)
    async with RecordCollector(settings, board, report) as collector:

        def replayed(done: int, of: int) -> None:
            if done % REPLAY_REPORT_EVERY == 0 or done == of:
                report(f"  replayed {done}/{of} messages")

        options = producer_kwargs(settings)
        replay = asyncio.create_task(
            play(messages, settings.input_topic, options, speed=speed, progress=replayed)
        )
        while not replay.done():
            await collector.poll()
        await replay  # raises the replay's error, if any
        await collector.until_complete(timeout_s)
    return board


def _print_results(board: ResultBoard, settings: Settings) -> None:
    say("")
    say(results_table(board.ordered()))
    say("")
    counts = ", ".join(
        f"{count} {status}" for status, count in sorted(status_counts(board).items())
    )
    say(
        f"{len(board.records)}/{len(board.expected.alerts)} alerts answered: {counts or 'none'}; "
        f"{board.expected.rejected_messages} malformed message(s) went to {settings.dlq_topic}"
    )
    if settings.media_backend == "local":
        say(
            f"media are viewable at {settings.resolved_media_base_url}/<file> "
            f"(files in {settings.media_dir})"
        )
    else:
        say(f"media are stored in s3://{settings.s3_bucket}/{settings.s3_prefix} (URLs above)")


def _write_records(board: ResultBoard, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False) for _alert, record in board.ordered() if record]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _write_page(board: ResultBoard, settings: Settings, work_dir: Path) -> tuple[Path, str | None]:
    """Write the page of every alert's animation; its path, and its URL when served.

    With local media the page goes into the media directory, so the daemon's own static
    route serves it next to the files it shows; with S3 media it stays in the work
    directory (the media URLs in it are the bucket's).
    """
    note = f"daemon: models {settings.models}, {env_name('card_policy')}={settings.card_policy}."
    if settings.models == "tiny":
        note += " The tiny models have random weights and draw noise; cards show the alerts."
    if settings.media_backend == "local":
        path = settings.media_dir / PAGE_PATH
        url: str | None = f"{settings.resolved_media_base_url}/{PAGE_PATH}"
    else:
        path, url = work_dir / "index.html", None
    write_demo_page(board.ordered(), path, provisional=board.provisional, note=note)
    return path, url


def _serve_until_interrupted(daemon: DaemonProcess, settings: Settings, page: str) -> None:
    say(
        f"serving: media and {settings.http_url}/metrics stay up; "
        f"records on topic {settings.output_topic}. Press Ctrl-C to stop."
    )
    say(f"open {page} to see every alert's animation")
    try:
        while daemon.is_running():
            time.sleep(1.0)
    except KeyboardInterrupt:
        # Ctrl-C is how the serving phase is meant to end: not an error.
        return
    raise DaemonProcessError(f"the daemon exited unexpectedly; log:\n{daemon.log_tail()}")


def _shut_down(daemon: DaemonProcess | None, broker: EmbeddedBroker) -> None:
    # Ignore further Ctrl-C while stopping, so the children are always stopped in order.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if daemon is not None and daemon.is_running():
            say("stopping the daemon ...")
            daemon.stop(grace_s=60.0)
        if broker.is_running():
            say("stopping the broker ...")
            broker.stop(grace_s=10.0)
        say("stopped")
    finally:
        signal.signal(signal.SIGINT, previous)
