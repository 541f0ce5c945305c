"""`cinealert dataset caption|metadata`: a folder of disaster photos to captions
(BLIP), and captions to metadata training pairs with a dataset card
(docs/training.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.training.captions import CaptionRecord

HELP = "caption disaster photos and turn the captions into metadata training pairs"


def default_caption_model() -> str:
    """``tiny`` under the tiny profile, else the paper's BLIP captioner."""
    from pipeline.training.captioner import DEFAULT_SOURCE, TINY_SOURCE  # noqa: PLC0415

    return (
        TINY_SOURCE if (os.environ.get("CINEALERT_MODELS") or "tiny") == "tiny" else DEFAULT_SOURCE
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Two steps, each its own sub-command."""
    steps = parser.add_subparsers(dest="step", metavar="STEP", required=True)
    caption = steps.add_parser("caption", help="caption every image under DIR/<disaster type>/")
    caption.add_argument("dir", type=Path, metavar="DIR")
    caption.add_argument("--out", type=Path, required=True, metavar="captions.jsonl")
    caption.add_argument(
        "--model",
        default=None,
        help="BLIP captioning model: 'tiny', a directory or a hub id in the hub cache "
        "(default: tiny under CINEALERT_MODELS=tiny, else Salesforce/blip-image-captioning-large)",
    )
    caption.add_argument("--device", default="auto", help="auto (default), cpu, cuda")
    caption.add_argument("--batch-size", type=int, default=8)
    caption.add_argument("--min-side", type=int, default=32, help="skip smaller images (px)")
    metadata = steps.add_parser("metadata", help="captions.jsonl to training pairs + card")
    metadata.add_argument("captions", type=Path, metavar="captions.jsonl")
    metadata.add_argument("--out", type=Path, required=True, metavar="pairs.jsonl")
    metadata.add_argument("--validation", type=float, default=0.1, help="share of images")
    metadata.add_argument("--seed", type=int, default=0)


def _caption(args: argparse.Namespace) -> int:
    from pipeline.registry import RegistryError, resolve_device  # noqa: PLC0415
    from pipeline.training.captioner import load_captioner  # noqa: PLC0415
    from pipeline.training.captions import caption_folder  # noqa: PLC0415
    from pipeline.training.local_weights import MissingFilesError  # noqa: PLC0415
    from pipeline.training.photos import DatasetError, scan_photos  # noqa: PLC0415

    if args.batch_size < 1 or args.min_side < 1:
        print(
            "cinealert dataset caption: --batch-size and --min-side must be >= 1", file=sys.stderr
        )
        return 2
    model = args.model or default_caption_model()
    try:
        total = len(scan_photos(args.dir))  # refuse a bad folder before loading a model
        print(f"{total} images under {args.dir}; loading captioning model {model} ...", flush=True)
        captioner = load_captioner(model, resolve_device(args.device))
    except (DatasetError, MissingFilesError, RegistryError) as error:
        print(f"cinealert dataset caption: {error}", file=sys.stderr)
        return 2

    def progress(done: int, total: int, record: CaptionRecord) -> None:
        note = f"skipped: {record.skipped}" if record.skipped else record.caption
        print(f"  [{done}/{total}] {record.path}: {note}", flush=True)

    try:
        summary = caption_folder(
            args.dir,
            args.out,
            captioner,
            batch_size=args.batch_size,
            min_side=args.min_side,
            on_progress=progress,
        )
    except (DatasetError, OSError) as error:
        print(f"cinealert dataset caption: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(
        f"wrote {args.out}: {summary.captioned} captioned, {summary.skipped} skipped, "
        f"{summary.resumed} already done"
    )
    return 0


def _metadata(args: argparse.Namespace) -> int:
    from pipeline.training.pairs import make_pairs_file  # noqa: PLC0415
    from pipeline.training.photos import DatasetError  # noqa: PLC0415

    try:
        pairs, card = make_pairs_file(args.captions, args.out, args.validation, args.seed)
    except (DatasetError, OSError) as error:
        print(f"cinealert dataset metadata: {error}", file=sys.stderr)
        return 2
    validation = sum(pair.split == "validation" for pair in pairs)
    print(f"wrote {args.out}: {len(pairs) - validation} train, {validation} validation pairs")
    print(f"wrote {card}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Exit 0 on success, 2 on bad input (empty folder, unknown type, missing weights)."""
    return _caption(args) if args.step == "caption" else _metadata(args)
