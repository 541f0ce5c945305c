"""`cinealert animate`: a user's photo through the cinemagraph stages only (no prompt,
no text-to-image), writing the same media files and report.json as `cinealert render`.
Loads torch; loads models only for what the inputs lack (a mask, or --depth-model)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from cap.taxonomy import UnknownHazardError, load_taxonomy
from daemon.commands.render import write_outputs, write_report
from pipeline.config import MASK_METHODS, PROFILES, config_from_env

HELP = "animate your own photo (cinemagraph stages only) to media files and a report"
CAMERA_CHOICES = ("none", "circular", "up-down", "zoom")
DEFAULT_MAX_SIDE = 512


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the photo, what moves, the depth, the camera and where to write."""
    parser.add_argument("--image", type=Path, required=True, metavar="PHOTO")
    parser.add_argument(
        "--mask", type=Path, metavar="MASK.png", help="white = moves (default: the segmenter)"
    )
    depth = parser.add_mutually_exclusive_group()
    depth.add_argument("--depth", type=Path, metavar="DEPTH.png", help="gray, white = near")
    depth.add_argument(
        "--depth-model", action="store_true", help="estimate depth with the depth model"
    )
    parser.add_argument("--hazard", required=True, help="taxonomy hazard name, e.g. flood")
    parser.add_argument(
        "--camera",
        choices=CAMERA_CHOICES,
        default=None,
        help="camera path (needs depth; default: the hazard's suggestion when there is depth)",
    )
    parser.add_argument("--camera-amplitude", type=float, default=0.02, metavar="SHARE")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--fps", type=float, default=8.0)
    parser.add_argument(
        "--size", type=int, default=DEFAULT_MAX_SIDE, help="longest side in pixels (default 512)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--flow", type=Path, metavar="FLOW_MODEL.pt", help="a TorchScript image-to-flow model"
    )
    parser.add_argument(
        "--models",
        choices=PROFILES,
        default=os.environ.get("CINEALERT_MODELS") or "tiny",
        help="model profile for the segmenter and the depth model (default: tiny)",
    )
    parser.add_argument("--mask-method", choices=MASK_METHODS, default=None)
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1")
    parser.add_argument(
        "--png-frames", action="store_true", help="also write frame_000.png, ... losslessly"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    """Animate and write; exit 0 on success, 1 when the animation failed, 2 on bad input."""
    # Imported here: these pull in torch.
    from PIL import Image  # noqa: PLC0415

    from pipeline import registry  # noqa: PLC0415
    from pipeline.cinemagraph import CinemagraphConfig  # noqa: PLC0415
    from pipeline.interface import RenderError  # noqa: PLC0415
    from pipeline.learned_flow import FlowModelError, load_flow_model, predict_flow  # noqa: PLC0415
    from pipeline.photo_animation import PhotoInputs, PhotoSettings, animate_photo  # noqa: PLC0415
    from pipeline.still_inputs import StillInputError, load_depth, load_mask, load_still  # noqa: PLC0415

    def fail(message: str) -> int:
        print(f"cinealert animate: {message}", file=sys.stderr)
        return 2

    try:
        hazard = load_taxonomy().get(args.hazard)
    except UnknownHazardError as error:
        return fail(str(error))
    if not hazard.renderable:
        return fail(f"hazard {args.hazard!r} has nothing to draw")
    overrides: dict[str, object] = {"profile": args.models}
    if args.mask_method is not None:
        overrides["mask_method"] = args.mask_method
    if args.device is not None:
        overrides["device"] = args.device
    try:
        if args.size < 64:
            raise ValueError(f"--size must be at least 64, got {args.size}")
        config = config_from_env(None, **overrides)
        cinemagraph = CinemagraphConfig(
            frames=args.frames,
            fps=args.fps,
            camera=args.camera,
            camera_amplitude=args.camera_amplitude,
        )
        image = load_still(args.image, args.size)
        shape = image.shape[:2]
        mask = load_mask(args.mask, shape) if args.mask is not None else None
        depth = load_depth(args.depth, shape) if args.depth is not None else None
        if args.camera not in (None, "none") and depth is None and not args.depth_model:
            raise ValueError(f"--camera {args.camera} needs --depth DEPTH.png or --depth-model")
        flow = None
        if args.flow is not None:
            flow = predict_flow(load_flow_model(args.flow), image, mask)
    except (StillInputError, FlowModelError, ValueError) as error:
        return fail(str(error))

    def progress(stage: str, milliseconds: float) -> None:
        print(f"  {stage:<9} {milliseconds:9.1f} ms", flush=True)

    started = time.perf_counter()
    models = None
    if mask is None or args.depth_model:
        print(f"loading the {config.profile} models on {config.device} ...", flush=True)
        models = registry.load_models(config)
    load_ms = (time.perf_counter() - started) * 1000.0
    print(f"animating {args.image} ({image.shape[1]}x{image.shape[0]}) as {hazard.name}")
    settings = PhotoSettings(cinemagraph=cinemagraph, pipeline=config, seed=args.seed)
    inputs = PhotoInputs(image=image, mask=mask, depth=depth, name=args.image.name)
    try:
        animation = animate_photo(
            inputs,
            hazard,
            settings,
            models=models,
            estimate_depth=args.depth_model,
            flow=flow,
            on_stage=progress,
        )
    except RenderError as error:
        print(f"cinealert animate: {error}", file=sys.stderr)
        return 1
    result = animation.result
    stem = f"{hazard.name}-animate"
    files = write_outputs(args.out, stem, result)
    if args.png_frames:
        for index, frame in enumerate(animation.frames):
            Image.fromarray(frame).save(args.out / f"frame_{index:03d}.png")
        print(f"wrote {len(animation.frames)} frames: {args.out / 'frame_000.png'}, ...")
    report: dict[str, Any] = {
        "request": {
            "image": str(args.image),
            "mask": str(args.mask) if args.mask else None,
            "depth": str(args.depth) if args.depth else ("model" if args.depth_model else None),
            "hazard": hazard.name,
            "camera": args.camera,
            "seed": args.seed,
        },
        "profile": config.profile if models is not None else None,
        "files": files,
        "alt_text": result.alt_text,
        "timings_ms": result.timings_ms,
        "load_ms": load_ms,
        "models": result.models,
        "details": result.extra,
    }
    write_report(args.out, report, files, result.timings_ms["total"])
    return 0
