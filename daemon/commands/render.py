"""`cinealert render`: one hazard (or the hazard of a CAP file) to media files and a JSON
report, printing each stage as it finishes. Loads the pipeline, so it imports torch."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cap.classify import classify_alert
from cap.document import parse_document
from pipeline.card.content import card_text
from pipeline.config import DTYPES, MASK_METHODS, PROFILES, PipelineConfig, config_from_env
from pipeline.interface import METHODS, MediaFile, RenderError, RenderRequest, RenderResult

HELP = "render one hazard to media files and a JSON report"
TINY_NOTE = (
    "tiny profile: every model has random weights, so the images are noise; the stages, "
    "timings and files are real. Use --models full with real weights for real images."
)


class CapInputError(ValueError):
    """The CAP file given with --cap cannot be rendered; names the file and the reason."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare what to render, with which models and where to write."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--hazard", help="taxonomy hazard name, e.g. flood")
    source.add_argument("--cap", type=Path, metavar="FILE", help="take the hazard from a CAP file")
    parser.add_argument("--method", choices=METHODS, default="cinemagraph")
    parser.add_argument(
        "--models",
        choices=PROFILES,
        default=os.environ.get("CINEALERT_MODELS") or "tiny",
        help="model profile (default: $CINEALERT_MODELS or tiny)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=None, help="image side in pixels")
    parser.add_argument("--candidates", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--mask-method", choices=MASK_METHODS, default=None)
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1")
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default=None,
        help="model precision (default: $CINEALERT_RENDER_DTYPE or auto: float16 on CUDA, "
        "float32 on CPU)",
    )
    parser.add_argument("--language", default="en", help="alt-text language (--hazard only)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")


def _config(args: argparse.Namespace) -> PipelineConfig:
    # Only the requested method's models load.
    overrides: dict[str, object] = {"profile": args.models, "method": args.method}
    for option, setting in (
        ("size", "image_size"),
        ("candidates", "candidates"),
        ("steps", "steps"),
        ("mask_method", "mask_method"),
        ("device", "device"),
        ("dtype", "dtype"),
    ):
        if getattr(args, option) is not None:
            overrides[setting] = getattr(args, option)
    return config_from_env(None, **overrides)


def request_from_cap(path: Path, method: str, seed: int) -> tuple[RenderRequest, dict[str, Any]]:
    """Parse and classify a CAP file; the first alert decides. Raises `CapInputError`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CapInputError(f"{path}: cannot read: {error}") from error
    document = parse_document(data)
    if document.error is not None:
        raise CapInputError(f"{path}: {document.error.code}: {document.error.message}")
    if not document.alerts:
        raise CapInputError(f"{path}: no CAP alert in this {document.kind} document")
    alert = document.alerts[0]
    classified = classify_alert(alert)
    # An alert without <info> classifies as "none"; the renderer then refuses it plainly.
    info = alert.infos[0] if alert.infos else None
    details = {
        "file": str(path),
        "identifier": alert.identifier,
        "event": info.event if info else None,
        "hazard": classified.hazard,
        "matched": classified.matched,
    }
    request = RenderRequest(
        hazard=classified.hazard,
        language=info.language if info else "en",
        method=method,
        seed=seed,
        alert_text=(info.headline or info.event) if info else "",
        card=card_text(alert),
    )
    return request, details


def _media_entry(media: MediaFile, name: str) -> dict[str, object]:
    return {
        "file": name,
        "format": media.format,
        "content_type": media.content_type,
        "width": media.width,
        "height": media.height,
        "frames": media.frames,
        "fps": media.fps,
        "bytes": len(media.data),
        "sha256": hashlib.sha256(media.data).hexdigest(),
    }


def write_outputs(out: Path, stem: str, result: RenderResult) -> list[dict[str, object]]:
    """Write the animations and the poster; return their report entries."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for media in (*result.media, result.poster):
        name = f"{stem}-poster.png" if media is result.poster else f"{stem}.{media.format}"
        (out / name).write_bytes(media.data)
        entries.append(_media_entry(media, name))
    return entries


def write_report(
    out: Path, report: dict[str, Any], files: list[dict[str, object]], total_ms: float
) -> None:
    """Write ``report.json`` beside the media and name every file written."""
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for entry in files:
        print(f"wrote {out / str(entry['file'])} ({entry['bytes']} bytes)")
    print(f"wrote {out / 'report.json'}; total {total_ms:.0f} ms")


def run(args: argparse.Namespace) -> int:
    """Render and write; exit 0 on success, 1 when nothing could be rendered, 2 on bad input."""
    # Imported here: the renderer pulls in torch, diffusers and transformers.
    from pipeline.full_models import MissingWeightsError  # noqa: PLC0415
    from pipeline.registry import RegistryError  # noqa: PLC0415
    from pipeline.renderer import PipelineRenderer  # noqa: PLC0415
    from pipeline.training.adapter import AdapterError  # noqa: PLC0415

    cap_details: dict[str, Any] | None = None
    try:
        config = _config(args)
        if args.cap is not None:
            request, cap_details = request_from_cap(args.cap, args.method, args.seed)
            print(f"cap: {args.cap} -> hazard {request.hazard} ({cap_details['matched']})")
        else:
            request = RenderRequest(
                hazard=args.hazard, language=args.language, method=args.method, seed=args.seed
            )
    except (CapInputError, ValueError) as error:
        print(f"cinealert render: {error}", file=sys.stderr)
        return 2

    def progress(stage: str, milliseconds: float) -> None:
        print(f"  {stage:<9} {milliseconds:9.1f} ms", flush=True)

    renderer = PipelineRenderer(config, on_stage=progress)
    started = time.perf_counter()
    try:
        renderer.check_request(request)  # refuse before spending time on model loading
        print(f"loading the {config.profile} models on {config.device} ...", flush=True)
        renderer.warm_up()
        loaded = renderer.loaded()
        load_ms = (time.perf_counter() - started) * 1000.0
        print(f"models ready in {load_ms:.0f} ms; rendering {request.hazard} ({request.method})")
        result = renderer.render(request)
    except AdapterError as error:  # CINEALERT_MODEL_LORA names an unusable adapter
        print(f"cinealert render: {error}", file=sys.stderr)
        return 2
    except (RenderError, RegistryError, MissingWeightsError) as error:
        # Models that cannot load (a missing file, a device that is not there) are the
        # operator's to fix: one clear message, no traceback.
        print(f"cinealert render: {error}", file=sys.stderr)
        return 1
    stem = f"{request.hazard}-{request.method}"
    files = write_outputs(args.out, stem, result)
    report = {
        "request": {
            "hazard": request.hazard,
            "language": request.language,
            "method": request.method,
            "seed": request.seed,
        },
        "cap": cap_details,
        "profile": config.profile,
        "note": TINY_NOTE if config.profile == "tiny" else None,
        "files": files,
        "prompt": result.prompt,
        "negative_prompt": result.negative_prompt,
        "alt_text": result.alt_text,
        "clip_score": result.clip_score,
        "candidate_scores": list(result.candidate_scores),
        "timings_ms": result.timings_ms,
        "load_ms": load_ms,
        "warm_up_ms": renderer.warm_up_ms,
        "models": result.models,
        "loaded": [entry.__dict__ for entry in loaded],
        "details": result.extra,
    }
    write_report(args.out, report, files, result.timings_ms["total"])
    return 0
