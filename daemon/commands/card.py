"""`cinealert card`: the animated alert card of one CAP file (pipeline/card), written as
GIF, WebP, MP4 and a PNG poster with a JSON report, like `cinealert render` but with no
model and no GPU: it takes a fraction of a second."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from daemon.commands.render import (
    CapInputError,
    request_from_cap,
    write_outputs,
    write_report,
)
from pipeline.interface import RenderError

HELP = "draw the animated alert card of a CAP file (no GPU, no models)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the CAP input, the output folder and the card size."""
    parser.add_argument("--cap", type=Path, required=True, metavar="FILE", help="CAP alert file")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--size", type=int, default=512, help="card side in pixels (default 512)")


def run(args: argparse.Namespace) -> int:
    """Draw and write; exit 0 on success, 1 when the card failed, 2 on bad input."""
    from pipeline.card.renderer import CardRenderer  # noqa: PLC0415

    try:
        request, details = request_from_cap(args.cap, method="cinemagraph", seed=0)
        renderer = CardRenderer(
            size=args.size,
            on_stage=lambda stage, ms: print(f"  {stage:<9} {ms:9.1f} ms", flush=True),
        )
    except (CapInputError, ValueError) as error:
        print(f"cinealert card: {error}", file=sys.stderr)
        return 2
    print(f"cap: {args.cap} -> hazard {request.hazard} ({details['matched']})")
    try:
        renderer.warm_up()
        result = renderer.render(request)
    except RenderError as error:
        print(f"cinealert card: {error}", file=sys.stderr)
        return 1
    files = write_outputs(args.out, f"{request.hazard}-card", result)
    card = request.card
    report = {
        "cap": details,
        "card": {
            "event": card.event if card else "",
            "headline": card.headline if card else "",
            "area": card.area if card else "",
            "expires": card.expires.isoformat() if card and card.expires else None,
            "severity": card.severity if card else "Unknown",
            "language": card.language if card else request.language,
        },
        "files": files,
        "alt_text": result.alt_text,
        "timings_ms": result.timings_ms,
        "models": result.models,
    }
    write_report(args.out, report, files, result.timings_ms["total"])
    return 0
