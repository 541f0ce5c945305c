"""`cinealert bench cinemagraph`: animate the shared real photographs with their
hand-drawn masks and depth (tests/fixtures/photo_masks.json), time each run, and write
contact sheets to look at (docs/images/cinemagraph-*.png are made by this command).

    cinealert bench cinemagraph --photos ../shared/photos --out docs/images \
        --only bridge,conchita,station --camera circular --sheet cinemagraph-camera.png

A sheet has one row per photo: the still with its mask outlined, three frames spread over
the loop, and the change from the still (brighter = more change; black = unchanged).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = REPO / "tests" / "fixtures" / "photo_masks.json"
DEFAULT_PHOTOS = REPO / ".." / "shared" / "photos"
TILE_HEIGHT = 120
# Sheets go into the repository: a 256-colour palette keeps each one small.
SHEET_COLOURS = 256


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Which photos, at what size, with which camera, and where the sheet goes."""
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--only", default="", help="comma-separated parts of file names")
    parser.add_argument("--size", type=int, default=384, help="longest side in pixels")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--camera", choices=("none", "circular", "up-down", "zoom"), default="none")
    parser.add_argument("--camera-amplitude", type=float, default=0.02)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=None, help="directory for sheets and GIFs")
    parser.add_argument("--sheet", default=None, help="contact sheet file name (PNG) in --out")
    parser.add_argument("--gifs", action="store_true", help="also write one GIF per photo")


def run(args: argparse.Namespace) -> int:
    """Animate each chosen photo, print timings as JSON lines, write the sheet."""
    import torch  # noqa: PLC0415 - heavy, only when this benchmark runs

    from cap.taxonomy import load_taxonomy  # noqa: PLC0415
    from pipeline.cinemagraph import CinemagraphConfig, animate_cinemagraph  # noqa: PLC0415
    from pipeline.motion import motion_prior  # noqa: PLC0415
    from pipeline.still_inputs import layered_depth, load_still, polygon_mask  # noqa: PLC0415

    entries = json.loads(args.fixtures.read_text(encoding="utf-8"))["photos"]
    wanted = [part for part in args.only.split(",") if part]
    chosen = [e for e in entries if not wanted or any(part in e["file"] for part in wanted)]
    if not chosen:
        print(f"no photo in {args.fixtures} matches --only {args.only!r}")
        return 2
    taxonomy = load_taxonomy()
    config = CinemagraphConfig(
        frames=args.frames, camera=args.camera, camera_amplitude=args.camera_amplitude
    )
    rows: list[Image.Image] = []
    for entry in chosen:
        image = load_still(args.photos / entry["file"], args.size)
        shape = image.shape[:2]
        mask = polygon_mask(entry["mask"], shape)
        layers = [(layer["polygon"], layer["nearness"]) for layer in entry["depth"]["layers"]]
        depth = layered_depth(tuple(entry["depth"]["ramp"]), layers, shape)
        prior = motion_prior(entry["hazard"], taxonomy.get(entry["hazard"]).motion)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        result = animate_cinemagraph(
            image, mask, prior, config, np.random.default_rng(0), depth, device=args.device
        )
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        print(
            json.dumps(
                {
                    "photo": entry["file"],
                    "size": [image.shape[1], image.shape[0]],
                    "frames": args.frames,
                    "camera": result.camera,
                    "device": args.device,
                    "animate_ms": round(elapsed_ms, 1),
                    "hole_fraction": round(result.hole_fraction, 4),
                    "mean_speed_px": round(
                        float(np.linalg.norm(result.flow, axis=-1)[mask].mean()), 3
                    ),
                }
            ),
            flush=True,
        )
        rows.append(sheet_row(image, mask, result.frames))
        if args.out is not None and args.gifs:
            args.out.mkdir(parents=True, exist_ok=True)
            first, *rest = (Image.fromarray(frame) for frame in result.frames)
            first.save(
                args.out / f"{Path(entry['file']).stem}-{result.camera}.gif",
                save_all=True,
                append_images=rest,
                duration=125,
                loop=0,
            )
    if args.out is not None and args.sheet:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / args.sheet
        stack(rows).quantize(SHEET_COLOURS, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def sheet_row(image: np.ndarray, mask: np.ndarray, frames: list[np.ndarray]) -> Image.Image:
    """Still with the mask outlined, three frames across the loop, the change map."""
    still = Image.fromarray(image)
    outline = Image.fromarray((mask * 255).astype(np.uint8))
    edges = np.asarray(outline.filter(ImageFilter.FIND_EDGES)) > 0
    marked = image.copy()
    marked[edges] = (255, 255, 0)
    picks = [frames[i * len(frames) // 3] for i in range(3)]
    change = np.max([np.abs(f.astype(np.int32) - image).sum(axis=-1) for f in frames], axis=0)
    heat = np.clip(change * 4, 0, 255).astype(np.uint8)
    tiles = [Image.fromarray(marked), *(Image.fromarray(p) for p in picks)]
    tiles.append(Image.fromarray(np.repeat(heat[..., None], 3, axis=-1)))
    width = round(still.width * TILE_HEIGHT / still.height)
    row = Image.new("RGB", (len(tiles) * (width + 4), TILE_HEIGHT + 4), "white")
    for index, tile in enumerate(tiles):
        row.paste(
            tile.resize((width, TILE_HEIGHT), Image.Resampling.LANCZOS), (index * (width + 4), 2)
        )
    return row


def stack(rows: list[Image.Image]) -> Image.Image:
    """Rows one under another, left-aligned on white."""
    width = max(row.width for row in rows)
    sheet = Image.new("RGB", (width, sum(row.height for row in rows)), "white")
    top = 0
    for row in rows:
        sheet.paste(row, (0, top))
        top += row.height
    return sheet
