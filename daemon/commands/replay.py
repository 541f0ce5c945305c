"""`cinealert replay FILE`: play a recorded stream into a topic, printing progress."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.errors import KafkaError

from daemon.kafka.client_config import producer_kwargs
from daemon.runtime.settings import load_settings
from daemon.streams.format import read_stream
from daemon.streams.player import check_speed, play
from daemon.streams.retime import retime_messages

HELP = "play a recorded-stream JSONL file into a topic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare FILE, ``--topic``, ``--speed``, ``--retime``, ``--bootstrap``, ``--config``."""
    parser.add_argument("file", type=Path, help="recorded stream (cinealert.stream/1 JSONL)")
    parser.add_argument("--topic", help="target topic (default: CINEALERT_INPUT_TOPIC)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="divide the recorded timing by this; 0 or inf = as fast as possible (default 1)",
    )
    parser.add_argument(
        "--retime",
        action="store_true",
        help="shift CAP date-times so the first alert's sent becomes now",
    )
    parser.add_argument("--bootstrap", help="broker host:port (default: from settings)")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    """Validate the whole file first, then replay it; 0 on success, 1 on any error."""
    try:
        speed = check_speed(args.speed)
        settings = load_settings(config_file=args.config)
        if args.bootstrap:
            settings = dataclasses.replace(settings, bootstrap_servers=args.bootstrap)
        stream = read_stream(args.file)
        options = producer_kwargs(settings)
    except (ValueError, OSError) as error:  # SettingsError, StreamFormatError, KafkaConfigError
        print(f"cinealert replay: {error}", file=sys.stderr)
        return 1
    messages = stream.messages
    if args.retime:
        messages, summary, offset = retime_messages(messages, datetime.now(UTC))
        if summary is None:
            print("retime: no <sent> found; nothing shifted", file=sys.stderr)
        else:
            print(f"retime: shifted {summary.shifted} date-times by {offset}")
            for text in summary.untouched:
                print(f"retime: left unchanged (not a CAP date-time): {text!r}", file=sys.stderr)
    topic = args.topic or settings.input_topic
    total = len(messages)
    step = max(1, total // 20)

    def progress(done: int, of: int) -> None:
        if not args.quiet and (done % step == 0 or done == of):
            print(f"replayed {done}/{of} to {topic}", flush=True)

    try:
        produced = asyncio.run(play(messages, topic, options, speed=speed, progress=progress))
    except (KafkaError, OSError) as error:
        print(
            f"cinealert replay: failed after connecting to {settings.bootstrap_servers}: "
            f"{type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return 1
    print(f"done: {produced} messages from {args.file} to {topic}")
    return 0
