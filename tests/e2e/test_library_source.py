"""The daemon renders from an operator's photo library (``CINEALERT_IMAGE_SOURCE=library``):
the real `cinealert run` process (tiny profile, CPU, local media store) against the
session's embedded Tansu broker over TCP. A flood alert animates the library's flood
photo only inside its drawn ``.mask.png``; a wildfire alert, for which the library has
no photo, gets the documented single terminal record: the alert card
(``card_policy=fallback``, the default) with reason ``no_library_photo``.

The photo is one of ``../shared/photos/flood`` when that folder exists, else a
synthetic 128x96 scene; either is written as a 128x96 PNG so the daemon animates exactly
these pixels (no resize: 128 px is the tiny profile's size).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps, ImageSequence

from daemon.kafka.broker import EmbeddedBroker, find_free_port
from daemon.runtime.daemon_process import DaemonProcess
from daemon.runtime.settings import load_settings
from tests.e2e.harness import RECORD_VALIDATOR
from tests.support.cap_alerts import cap_alert
from tests.support.kafka import consume_messages, end_offsets, produce_messages

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SHARED_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "photos"

SIZE = (128, 96)  # (width, height): multiples of 8, longer side = the tiny profile's 128
PHOTO_NAME = "river_street"
# Pixels this far from the mask's edge count as clearly inside or outside it.
MARGIN = 4


def library_photo() -> Image.Image:
    """A real flood photo from ``../shared`` when present, else a drawn street scene."""
    shared = SHARED_PHOTOS / "flood"
    if shared.is_dir():
        candidates = sorted(shared.glob("*.jpg"))
        if candidates:
            with Image.open(candidates[0]) as photo:
                return ImageOps.fit(photo.convert("RGB"), SIZE, Image.Resampling.LANCZOS)
    width, height = SIZE
    rng = np.random.default_rng(7)
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = np.array([120, 160, 210]) * (1 - rows) + np.array([200, 215, 230]) * rows
    pixels = np.broadcast_to(sky, (height, width, 3)).copy()
    # Muddy water in the lower half: ripples (the flow needs texture to show motion).
    y, x = np.mgrid[0:height, 0:width]
    ripples = 18 * np.sin(x / 3.0 + y / 1.7) + rng.normal(0, 10, (height, width))
    water = np.stack([105 + ripples, 95 + ripples, 70 + ripples], axis=-1)
    pixels[height // 2 :] = water[height // 2 :]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((14, 22, 52, 50), fill=(150, 60, 45))  # a house, half under water
    draw.polygon([(10, 22), (33, 8), (56, 22)], fill=(70, 40, 35))
    draw.rectangle((76, 30, 118, 50), fill=(175, 170, 160))
    return image.filter(ImageFilter.SMOOTH)


def water_mask() -> Image.Image:
    """White = moves: the lower part of the picture, with a wavy waterline."""
    width, height = SIZE
    mask = Image.new("L", SIZE, 0)
    waterline = [(x, 56 + 4 * np.sin(x / 9.0)) for x in range(0, width + 1, 8)]
    ImageDraw.Draw(mask).polygon([*waterline, (width, height), (0, height)], fill=255)
    return mask


def build_library(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """``root/flood/`` with one photo and its mask; ``root/wildfire`` has no photo.
    Returns the photo (uint8 H, W, 3) and the mask (bool H, W) as written."""
    (root / "flood").mkdir(parents=True)
    (root / "wildfire").mkdir()
    photo, mask = library_photo(), water_mask()
    photo.save(root / "flood" / f"{PHOTO_NAME}.png")
    mask.save(root / "flood" / f"{PHOTO_NAME}.mask.png")
    return np.asarray(photo, np.uint8), np.asarray(mask) > 127


def shrink(region: np.ndarray, steps: int) -> np.ndarray:
    """``region`` eroded by ``steps`` pixels (4-neighbourhood), borders kept."""
    eroded = region.copy()
    for _ in range(steps):
        padded = np.pad(eroded, 1, mode="edge")
        eroded &= padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return eroded


def daemon_environment(bootstrap: str, library: Path, media: Path) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:10]
    base = {k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")}
    return {
        **base,
        "CINEALERT_BOOTSTRAP_SERVERS": bootstrap,
        "CINEALERT_GROUP_ID": f"e2e-library-{suffix}",
        "CINEALERT_INPUT_TOPIC": f"e2e.library.alerts.{suffix}",
        "CINEALERT_OUTPUT_TOPIC": f"e2e.library.media.{suffix}",
        "CINEALERT_DLQ_TOPIC": f"e2e.library.dlq.{suffix}",
        "CINEALERT_CACHE_TOPIC": f"e2e.library.cache.{suffix}",
        "CINEALERT_TOPIC_PARTITIONS": "1",
        "CINEALERT_HTTP_PORT": str(find_free_port()),
        "CINEALERT_MODELS": "tiny",
        "CINEALERT_RENDER_WORKERS": "cpu",
        "CINEALERT_RENDER_DEADLINE_S": "120",
        "CINEALERT_SHUTDOWN_GRACE_S": "10",
        "CINEALERT_IMAGE_SOURCE": "library",
        "CINEALERT_IMAGE_LIBRARY_DIR": str(library),
        "CINEALERT_MEDIA_BACKEND": "local",
        "CINEALERT_MEDIA_DIR": str(media),
        "CINEALERT_LOG_FORMAT": "json",
    }


def stored_file(media: Path, url: str) -> Path:
    """The local store's file behind a media URL (``<base>/<sha256>.<ext>``)."""
    path = media / url.rsplit("/", 1)[-1]
    assert path.is_file(), f"{url} is not in the media store {media}"
    return path


def gif_frames(path: Path) -> np.ndarray:
    """Every frame of a GIF as uint8 (N, H, W, 3)."""
    with Image.open(path) as gif:
        return np.stack(
            [np.asarray(frame.convert("RGB"), np.uint8) for frame in ImageSequence.Iterator(gif)]
        )


def test_the_daemon_animates_the_library_photo_inside_its_mask_and_cards_a_missing_hazard(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    photo, mask = build_library(tmp_path / "library")
    media = tmp_path / "media"
    environment = daemon_environment(broker.bootstrap, tmp_path / "library", media)
    settings = load_settings(environ=environment)
    daemon = DaemonProcess(environment, tmp_path / "daemon.log", settings.http_url)
    daemon.start()
    try:
        daemon.wait_ready(120.0)
        now = datetime.now(UTC).replace(microsecond=0)
        alerts = [
            cap_alert("lib-flood", "flood", sent=now),
            cap_alert("lib-fire", "wildfire", sent=now),
        ]
        asyncio.run(produce_messages(broker.bootstrap, settings.input_topic, alerts))
        raw = asyncio.run(
            consume_messages(broker.bootstrap, settings.output_topic, 2, timeout_s=180.0)
        )
    except BaseException:
        print(daemon.log_tail())
        daemon.kill()
        raise
    assert daemon.stop() == 0, daemon.log_tail()
    # Exactly one terminal record per alert: nothing more was written after the two.
    assert sum(asyncio.run(end_offsets(broker.bootstrap, settings.output_topic)).values()) == 2
    records: dict[str, dict[str, Any]] = {}
    for message in raw:
        assert message.value is not None
        record = json.loads(message.value)
        RECORD_VALIDATOR.validate(record)
        records[record["alert"]["identifier"]] = record
    assert set(records) == {"lib-flood", "lib-fire"}, records

    flood = records["lib-flood"]
    assert (flood["status"], flood["hazard"], flood["kind"]) == ("rendered", "flood", "animation")
    assert flood["image_source"] == "library"
    assert flood["models"] == {"image_library": f"flood/{PHOTO_NAME}.png"}
    assert flood["mask"]["method"] == "given"
    assert {item["format"] for item in flood["media"]} == {"gif", "webp", "mp4"}
    for item in flood["media"]:
        path = stored_file(media, item["url"])
        assert path.stat().st_size == item["bytes"]
        assert (item["width"], item["height"]) == SIZE and item["frames"] > 1

    inside, outside = shrink(mask, MARGIN), shrink(~mask, MARGIN)
    assert inside.sum() > 500 and outside.sum() > 500
    # The poster is frame 0, lossless: outside the mask it is the photo itself.
    with Image.open(stored_file(media, flood["poster_url"])) as poster:
        still = np.asarray(poster.convert("RGB"), np.int16)
    assert np.abs(still - photo)[outside].max() <= 1
    # The GIF (one shared palette, no dithering): outside the mask every frame is the
    # same palette colour, close to the photo; inside it the water moves.
    gif_item = next(item for item in flood["media"] if item["format"] == "gif")
    frames = gif_frames(stored_file(media, gif_item["url"])).astype(np.int16)
    assert frames.shape == (gif_item["frames"], SIZE[1], SIZE[0], 3)
    assert (frames[:, outside] == frames[0, outside]).all(), "a pixel outside the mask moved"
    quantisation = np.abs(frames[0] - photo)[outside]
    assert quantisation.mean() < 6 and np.percentile(quantisation, 99) < 32
    changes = [np.abs(frame - frames[0])[inside].mean() for frame in frames[1:]]
    assert max(changes) > 3.0, f"the water does not move: {changes}"

    fire = records["lib-fire"]
    assert (fire["status"], fire["hazard"]) == ("rendered", "wildfire")
    assert (fire["kind"], fire["reason"]) == ("card", "no_library_photo")
    assert fire["image_source"] is None
    for item in fire["media"]:
        stored_file(media, item["url"])
