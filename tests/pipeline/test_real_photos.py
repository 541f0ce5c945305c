"""The cinemagraph on real photographs (../shared/photos, skipped without it), each with
a mask and rough depth drawn for it in tests/fixtures/photo_masks.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cap.taxonomy import load_taxonomy
from pipeline.cinemagraph import CinemagraphConfig, CinemagraphResult, animate_cinemagraph
from pipeline.motion import motion_prior
from pipeline.still_inputs import layered_depth, load_still, polygon_mask

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photo_masks.json"
PHOTOS: list[dict[str, Any]] = json.loads(FIXTURES.read_text(encoding="utf-8"))["photos"]
# Small on purpose: 13 photos x 2 runs must stay a few seconds on a 2-core CI machine.
MAX_SIDE = 112
FRAMES = 8


def load(shared_dir: Path, entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = load_still(shared_dir / "photos" / entry["file"], MAX_SIDE)
    shape = image.shape[:2]
    layers = [(layer["polygon"], layer["nearness"]) for layer in entry["depth"]["layers"]]
    depth = layered_depth(tuple(entry["depth"]["ramp"]), layers, shape)
    return image, polygon_mask(entry["mask"], shape), depth


def animate(
    entry: dict[str, Any], image: np.ndarray, mask: np.ndarray, depth: np.ndarray, camera: str
) -> CinemagraphResult:
    prior = motion_prior(entry["hazard"], load_taxonomy().get(entry["hazard"]).motion)
    config = CinemagraphConfig(frames=FRAMES, camera=camera)
    return animate_cinemagraph(image, mask, prior, config, np.random.default_rng(0), depth)


def local_mismatch(frame: np.ndarray, image: np.ndarray, radius: int = 6) -> float:
    """Share of ``frame``'s pixels with no still pixel within ``radius`` px whose colour
    is within 30 (sum over RGB): a camera move only rearranges the photo's pixels."""
    height, width = image.shape[:2]
    padded = np.pad(image.astype(np.int32), ((radius, radius), (radius, radius), (0, 0)), "edge")
    best = np.full((height, width), 1 << 20)
    shown = frame.astype(np.int32)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            window = padded[dy : dy + height, dx : dx + width]
            best = np.minimum(best, np.abs(shown - window).sum(axis=-1))
    return float((best > 30).mean())


def test_every_photo_has_a_fixture(shared_dir: Path) -> None:
    on_disk = {
        str(p.relative_to(shared_dir / "photos")) for p in (shared_dir / "photos").glob("*/*.jpg")
    }
    assert on_disk == {entry["file"] for entry in PHOTOS}


@pytest.mark.parametrize("entry", PHOTOS, ids=[Path(e["file"]).stem for e in PHOTOS])
def test_only_the_hazard_moves_and_the_loop_closes(shared_dir: Path, entry: dict[str, Any]) -> None:
    image, mask, depth = load(shared_dir, entry)
    frames = animate(entry, image, mask, depth, "none").frames
    still = image.astype(np.int32)
    for frame in frames:
        assert np.array_equal(frame[~mask], image[~mask])
    # The moving region changes measurably: a mean of at least half a grey level over
    # the loop (smooth skies and snow fields move the least).
    change = np.mean([np.abs(frame.astype(np.int32) - still)[mask].mean() for frame in frames])
    assert change > 0.5, change
    steps = [
        np.abs(frames[(i + 1) % FRAMES].astype(np.int32) - frames[i]).mean() for i in range(FRAMES)
    ]
    # The seam (last -> first) is an ordinary step, up to 2 % measurement noise.
    assert steps[-1] <= 1.02 * np.mean(steps), steps


@pytest.mark.parametrize("entry", PHOTOS, ids=[Path(e["file"]).stem for e in PHOTOS])
def test_a_camera_move_leaves_no_hole(shared_dir: Path, entry: dict[str, Any]) -> None:
    image, mask, depth = load(shared_dir, entry)
    result = animate(entry, image, mask, depth, "circular")
    # Before any fill, the two layers and the overscan leave (almost) nothing uncovered...
    assert result.hole_fraction < 0.01, result.hole_fraction
    for frame in result.frames:
        # ... and every pixel shown is a colour the photo has close by: a grey gap, a
        # black hole or a stretched streak would not match its neighbourhood.
        assert local_mismatch(frame, image) < 0.01
