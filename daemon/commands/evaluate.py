"""`cinealert evaluate`: the second paper's Table 1 per disaster type (FID, CLIP score,
LPIPS, SSIM) for a folder of generated images against a folder of real photos, as
Markdown, CSV and one chart per metric; with ``--generate``, first draws the generated
folder with the chosen models and adapter (docs/training.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.training.extractors import Extractors

HELP = "Table 1 per disaster type (FID, CLIP score, LPIPS, SSIM); --generate renders"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Folders, output, extractor weights; and the --generate options."""
    parser.add_argument("--real", type=Path, metavar="DIR", help="real photos DIR/<type>/")
    parser.add_argument("--generated", type=Path, metavar="DIR", help="generated DIR/<type>/")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument(
        "--metrics-models",
        choices=("tiny", "full"),
        default=os.environ.get("CINEALERT_MODELS") or "tiny",
        help="tiny random extractors (tests) or real ones (default: $CINEALERT_MODELS or tiny)",
    )
    parser.add_argument(
        "--weights-dir",
        type=Path,
        default=None,
        help="folder with the InceptionV3 and AlexNet files (default: torch hub checkpoints)",
    )
    parser.add_argument("--clip", default=None, help="CLIP dir or hub id (default: the t2i role's)")
    parser.add_argument("--paper", type=Path, default=None, help="published numbers CSV")
    parser.add_argument("--label", default="ours", help="name of the evaluated images' column")
    parser.add_argument("--max-pairs", type=int, default=64, help="LPIPS/SSIM pairs per type")
    parser.add_argument("--generate", action="store_true", help="draw --generated first")
    parser.add_argument("--per-type", type=int, default=10, help="images per type (--generate)")
    parser.add_argument("--types", default=None, help="comma-separated (default: the paper's 7)")
    parser.add_argument("--adapter", type=Path, default=None, help="LoRA adapter dir")
    parser.add_argument(
        "--keywords-only",
        action="store_true",
        help="prompt with the type's keywords, no language model (the paper's SD baseline)",
    )
    parser.add_argument(
        "--models",
        choices=("tiny", "full"),
        default=None,
        help="model profile for --generate (default: $CINEALERT_MODELS or tiny)",
    )
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)


def _generate(args: argparse.Namespace) -> None:
    from pipeline.config import config_from_env  # noqa: PLC0415
    from pipeline.training.generate import PAPER_TYPES, generate_sets  # noqa: PLC0415

    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    overrides: dict[str, object] = {"seed": args.seed}
    for option, setting in (
        ("models", "profile"),
        ("size", "image_size"),
        ("steps", "steps"),
        ("device", "device"),
    ):
        if getattr(args, option) is not None:
            overrides[setting] = getattr(args, option)
    config = config_from_env(None, **overrides)
    if args.adapter is not None:
        sources = dict(config.model_sources) | {"lora": str(args.adapter)}
        config = config.with_changes(model_sources=sources)
    print(f"generating {args.per_type} images per type with the {config.profile} models ...")
    generate_sets(
        config,
        args.generated,
        types or PAPER_TYPES,
        args.per_type,
        keywords_only=args.keywords_only,
        on_type=lambda made: print(
            f"  {made.disaster_type}: {len(made.images)} images; prompt ({made.prompt_source}): "
            f"{made.prompt}",
            flush=True,
        ),
    )


def _extractors(args: argparse.Namespace) -> Extractors:
    from pipeline.full_models import DEFAULT_SOURCES  # noqa: PLC0415
    from pipeline.training import extractors  # noqa: PLC0415

    if args.metrics_models == "tiny":
        return extractors.tiny_extractors()
    clip = args.clip or os.environ.get("CINEALERT_MODEL_CLIP") or DEFAULT_SOURCES["clip"]
    return extractors.full_extractors(args.weights_dir or extractors.default_weights_dir(), clip)


def run(args: argparse.Namespace) -> int:
    """Exit 0 with the table written; 2 on bad input or missing weights."""
    from pipeline.full_models import MissingWeightsError  # noqa: PLC0415
    from pipeline.registry import RegistryError  # noqa: PLC0415
    from pipeline.training.adapter import AdapterError  # noqa: PLC0415
    from pipeline.training.charts import write_charts  # noqa: PLC0415
    from pipeline.training.local_weights import MissingFilesError  # noqa: PLC0415
    from pipeline.training.metrics import evaluate_folders, load_folder  # noqa: PLC0415
    from pipeline.training.photos import DatasetError  # noqa: PLC0415
    from pipeline.training.table import csv_table, markdown_table, read_paper_numbers  # noqa: PLC0415

    if args.real is None or args.generated is None:
        print("cinealert evaluate: --real and --generated are both required", file=sys.stderr)
        return 2
    if args.keywords_only and args.adapter is not None:
        print(
            "cinealert evaluate: --keywords-only uses no language model, so no --adapter",
            file=sys.stderr,
        )
        return 2
    try:
        # Every real photo is read first: a bad one is refused before any model loads.
        real_images = load_folder(args.real)
        paper = read_paper_numbers(args.paper) if args.paper else {}
        if args.generate:
            _generate(args)
        chosen = _extractors(args)
        print(f"scoring {args.generated} against {args.real} ...", flush=True)
        rows = evaluate_folders(
            args.real,
            args.generated,
            chosen,
            max_pairs=args.max_pairs,
            preloaded_real=real_images,
            on_type=lambda name: print(f"  {name}", flush=True),
        )
    except (
        DatasetError,
        MissingFilesError,
        MissingWeightsError,
        RegistryError,
        AdapterError,
        ValueError,
        OSError,
    ) as error:
        print(f"cinealert evaluate: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    table = markdown_table(rows, paper, args.label)
    (args.out / "table1.md").write_text(table, encoding="utf-8")
    (args.out / "table1.csv").write_text(csv_table(rows, paper), encoding="utf-8")
    charts = write_charts(rows, paper, args.out, args.label)
    print(table)
    print(f"wrote {args.out / 'table1.md'}, {args.out / 'table1.csv'} and {len(charts)} charts")
    return 0
