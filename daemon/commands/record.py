"""`cinealert record --topic T OUT`: capture a topic into a recorded-stream file."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

from aiokafka.errors import KafkaError

from daemon.kafka.client_config import client_kwargs
from daemon.runtime.settings import load_settings
from daemon.streams.recorder import RecordError, RecordLimits, record

HELP = "capture a topic into a recorded-stream JSONL file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare OUT, ``--topic``, ``--from-beginning``, limits, ``--bootstrap``, ``--config``."""
    parser.add_argument("out", type=Path, help="file to write (cinealert.stream/1 JSONL)")
    parser.add_argument("--topic", required=True, help="topic to capture")
    parser.add_argument(
        "--from-beginning", action="store_true", help="start at the oldest message, not the end"
    )
    parser.add_argument("--max-messages", type=int, help="stop after this many messages")
    parser.add_argument(
        "--idle-timeout", type=float, help="stop after this many seconds without a message"
    )
    parser.add_argument("--bootstrap", help="broker host:port (default: from settings)")
    parser.add_argument("--config", type=Path, help="TOML settings file")


def run(args: argparse.Namespace) -> int:
    """Record until a limit is reached or Ctrl-C; 0 on success, 1 on any error."""
    if args.max_messages is not None and args.max_messages < 1:
        print(
            f"cinealert record: --max-messages must be >= 1, got {args.max_messages}",
            file=sys.stderr,
        )
        return 1
    if args.idle_timeout is not None and not args.idle_timeout > 0:
        print(
            f"cinealert record: --idle-timeout must be > 0, got {args.idle_timeout}",
            file=sys.stderr,
        )
        return 1
    try:
        settings = load_settings(config_file=args.config)
        if args.bootstrap:
            settings = dataclasses.replace(settings, bootstrap_servers=args.bootstrap)
        options = client_kwargs(settings)
    except ValueError as error:  # SettingsError, KafkaConfigError
        print(f"cinealert record: {error}", file=sys.stderr)
        return 1
    limits = RecordLimits(max_messages=args.max_messages, idle_timeout_s=args.idle_timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        try:
            count = asyncio.run(
                record(args.topic, out, options, from_beginning=args.from_beginning, limits=limits)
            )
        except KeyboardInterrupt:
            print(f"interrupted; {args.out} holds every message recorded so far", file=sys.stderr)
            return 0
        except (KafkaError, RecordError, OSError) as error:
            print(f"cinealert record: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
    print(f"recorded {count} messages from {args.topic} to {args.out}")
    return 0
