"""`cinealert broker`: start the embedded Kafka-compatible broker on loopback."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from daemon.kafka.broker import DEFAULT_HOST, BrokerError, EmbeddedBroker, find_free_port

HELP = "start the embedded Kafka-compatible broker"
DEFAULT_PORT = 9092


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--port``, ``--host``, ``--foreground``, ``--log`` and ``--timeout``."""
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 = any free)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="listen address (default loopback)")
    parser.add_argument(
        "--foreground", action="store_true", help="keep running until Ctrl-C / SIGTERM"
    )
    parser.add_argument("--log", type=Path, help="broker log file (default var/broker-PORT.log)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for readiness")


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Start; print the bootstrap address and pid; in the foreground, wait for a signal."""
    if not 0 <= args.port <= 65535:
        print(f"cinealert broker: --port {args.port} is not in 0..65535", file=sys.stderr)
        return 1
    port = args.port or find_free_port(args.host)
    log_path = args.log or Path("var") / f"broker-{port}.log"
    # In the background the broker must outlive this command; in the foreground it
    # must not outlive it.
    broker = EmbeddedBroker(
        port=port, host=args.host, log_path=log_path, die_with_parent=args.foreground
    )
    try:
        broker.start(timeout_s=args.timeout)
    except BrokerError as error:
        print(f"cinealert broker: {error}", file=sys.stderr)
        return 1
    print(f"broker ready: bootstrap {broker.bootstrap} pid {broker.pid} log {log_path}", flush=True)
    if not args.foreground:
        print(f"stop it with: kill {broker.pid}")
        return 0
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        code = broker.wait()
    except KeyboardInterrupt:
        broker.stop()
        print("broker stopped")
        return 0
    print(
        f"cinealert broker: broker exited with code {code}; log tail:\n{broker.log_tail()}",
        file=sys.stderr,
    )
    return 1
