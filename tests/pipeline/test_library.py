"""The image-library source: an operator's photos per hazard, animated; the daemon
settings that choose it, and the record that says it was used."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch
from PIL import Image

from daemon.cache.hazard_cache import CachedMedia
from daemon.runtime.settings import SettingsError, load_settings
from daemon.service.records import RenderOutcome, SourcePosition, build_record, record_schema
from daemon.service.renderer_factory import build_renderers
from pipeline.config import PipelineConfig
from pipeline.interface import RenderError, RenderRequest
from pipeline.library import LibraryRenderer, library_photos
from tests.daemon.test_alert_flow import alert
from tests.pipeline.test_animate_cli import ConstantFlow

CONFIG = PipelineConfig(profile="tiny", device="cpu", image_size=64, frames=4)


def make_library(root: Path) -> Path:
    """flood/ with two photos (one with a mask and a depth), and an empty storm/."""
    rng = np.random.default_rng(1)
    (root / "flood").mkdir(parents=True)
    (root / "storm").mkdir()
    for name in ("a_river", "b_street"):
        pixels = rng.uniform(0, 255, size=(12, 16, 3)).astype(np.uint8)
        Image.fromarray(pixels).resize((96, 72), Image.Resampling.BICUBIC).save(
            root / "flood" / f"{name}.jpg"
        )
    mask = np.zeros((72, 96), np.uint8)
    mask[36:] = 255
    Image.fromarray(mask).save(root / "flood" / "a_river.mask.png")
    depth = np.tile(np.linspace(0, 255, 72, dtype=np.uint8)[:, None], (1, 96))
    Image.fromarray(depth).save(root / "flood" / "a_river.depth.png")
    (root / "flood" / "notes.txt").write_text("not a photo")
    return root


def test_the_library_lists_photos_with_their_side_files(tmp_path: Path) -> None:
    root = make_library(tmp_path)
    photos = library_photos(root, "flood")
    assert [p.name for p in photos] == ["flood/a_river.jpg", "flood/b_street.jpg"]
    assert photos[0].mask is not None and photos[0].depth is not None
    assert photos[1].mask is None and photos[1].depth is None
    assert library_photos(root, "wildfire") == []


def test_a_library_render_animates_the_photo_and_says_so(tmp_path: Path) -> None:
    renderer = LibraryRenderer(CONFIG, make_library(tmp_path))
    assert renderer.profile == "library-tiny"
    result = renderer.render(RenderRequest(hazard="flood", seed=0))
    assert result.models == {"image_library": "flood/a_river.jpg"}
    assert result.extra["mask_source"] == "given" and result.extra["depth_source"] == "given"
    assert {"animate", "encode", "total"} <= set(result.timings_ms)
    gif = result.media[0]
    assert gif.format == "gif" and gif.frames == 4 and (gif.width, gif.height) == (64, 48)
    stored = CachedMedia(
        url="file:///flood.gif",
        format=gif.format,
        width=gif.width,
        height=gif.height,
        frames=gif.frames,
        fps=gif.fps,
        bytes=len(gif.data),
        sha256="0" * 64,
    )
    outcome = RenderOutcome(
        media=(stored,),
        poster_url="file:///poster.png",
        alt_text=result.alt_text,
        prompt=result.prompt,
        clip_score=result.clip_score,
        models=result.models,
        timings_ms=result.timings_ms,
    )
    record = build_record(alert(), "flood", "rendered", SourcePosition("in", 0, 1), outcome=outcome)
    jsonschema.validate(record, record_schema())
    assert record["image_source"] == "library"


def test_a_hazard_without_photos_fails_plainly(tmp_path: Path) -> None:
    renderer = LibraryRenderer(CONFIG, make_library(tmp_path))
    with pytest.raises(RenderError, match="no photo for 'storm'") as caught:
        renderer.render(RenderRequest(hazard="storm"))
    assert caught.value.reason == "no_library_photo"


def test_settings_choose_the_library_and_refuse_a_missing_directory(tmp_path: Path) -> None:
    root = make_library(tmp_path)
    settings = load_settings(
        {
            "CINEALERT_IMAGE_SOURCE": "library",
            "CINEALERT_IMAGE_LIBRARY_DIR": str(root),
            "CINEALERT_RENDER_WORKERS": "cpu",
        }
    )
    (renderer,) = build_renderers(settings)
    assert isinstance(renderer, LibraryRenderer) and renderer.root == root
    with pytest.raises(SettingsError, match="CINEALERT_IMAGE_LIBRARY_DIR"):
        load_settings({"CINEALERT_IMAGE_SOURCE": "library"})
    with pytest.raises(SettingsError, match="CINEALERT_IMAGE_SOURCE"):
        load_settings({"CINEALERT_IMAGE_SOURCE": "stock"})
    with pytest.raises(SettingsError, match="CINEALERT_RENDER_METHOD"):
        load_settings(
            {
                "CINEALERT_IMAGE_SOURCE": "library",
                "CINEALERT_IMAGE_LIBRARY_DIR": str(root),
                "CINEALERT_RENDER_METHOD": "masked-sampling",
            }
        )


def test_a_configured_flow_model_drives_the_library_animation(tmp_path: Path) -> None:
    model_path = tmp_path / "flow.pt"
    torch.jit.save(torch.jit.script(ConstantFlow()), str(model_path))
    root = make_library(tmp_path / "library")
    derived = LibraryRenderer(CONFIG, root).render(RenderRequest(hazard="flood", seed=0))
    learned = LibraryRenderer(CONFIG.with_changes(flow_model=model_path), root)
    result = learned.render(RenderRequest(hazard="flood", seed=0))
    assert derived.extra["flow_source"] == "image" and result.extra["flow_source"] == "given"
    assert result.media[0].data != derived.media[0].data
    with pytest.raises(ValueError, match="flow_model"):
        CONFIG.with_changes(flow_model=tmp_path / "missing.pt")
