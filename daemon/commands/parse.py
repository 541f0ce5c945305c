"""`cinealert parse PATH...`: parse CAP files and print one JSON object per input per line.

Every input is processed even when refused: a refusal is a JSON object with ``"ok": false``
and an error code, and the exit status stays 0. The parse policy is ``real-world`` (defects
with a safe reading become warnings); ``--strict`` refuses every CAP rule violation, as a
validator would (docs/cap-policy.md). A file that cannot be read is reported the
same way with code ``input.unreadable``. Only usage errors (argparse) exit with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from cap import errors
from cap.document import ParseLimits, parse_document
from cap.policy import ParsePolicy
from cap.serialize import JsonDict, document_to_dict, unreadable_to_dict

HELP = "parse CAP files and print one JSON object per input"
STDIN = "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the paths and the parse limits."""
    defaults = ParseLimits()
    parser.add_argument("paths", nargs="+", metavar="PATH", help="CAP/container file; '-' = stdin")
    parser.add_argument("--max-bytes", type=int, default=defaults.max_bytes)
    parser.add_argument("--max-depth", type=int, default=defaults.max_depth)
    parser.add_argument("--max-elements", type=int, default=defaults.max_elements)
    parser.add_argument("--max-alerts", type=int, default=defaults.max_alerts)
    parser.add_argument("--max-polygon-points", type=int, default=defaults.max_polygon_points)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse every CAP rule violation (default: real-world policy, see docs/cap-policy.md)",
    )


def _read(path: str) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def parse_one(
    path: str,
    limits: ParseLimits,
    now: datetime,
    policy: ParsePolicy = ParsePolicy.REAL_WORLD,
) -> JsonDict:
    """The JSON result for one input path (never raises for unreadable or bad input)."""
    source = "<stdin>" if path == STDIN else path
    try:
        data = _read(path)
    except OSError as exc:
        return unreadable_to_dict(source, errors.INPUT_UNREADABLE, f"cannot read {path!r}: {exc}")
    return document_to_dict(parse_document(data, limits, policy), source, now)


def run(args: argparse.Namespace) -> int:
    """Parse every path and print its result line; 0 once all inputs were processed."""
    try:
        limits = ParseLimits(
            args.max_bytes,
            args.max_depth,
            args.max_elements,
            args.max_alerts,
            args.max_polygon_points,
        )
    except ValueError as exc:
        print(f"cinealert parse: {exc}", file=sys.stderr)
        return 2
    policy = ParsePolicy.STRICT if args.strict else ParsePolicy.REAL_WORLD
    now = datetime.now(UTC)
    for path in args.paths:
        line = json.dumps(parse_one(path, limits, now, policy), ensure_ascii=False)
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return 0
