"""Animate a given photograph: only the animation stages of the pipeline (mask when none
is given, depth when asked, cinemagraph, encode, alt text) — for `cinealert animate`
and for the daemon's image-library source. Returns the same `RenderResult` as a render.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from cap.taxonomy import HazardSpec
from pipeline import depth as depth_stage
from pipeline import encode
from pipeline.alt_text import alt_text
from pipeline.cinemagraph import CinemagraphConfig, animate_cinemagraph, animation_device
from pipeline.config import PipelineConfig
from pipeline.interface import RenderError, RenderResult
from pipeline.layers import FillFn
from pipeline.model_set import ModelSet
from pipeline.motion import motion_prior
from pipeline.segment import given_mask_record, segment, segmenter_roles
from pipeline.stage_timer import StageCallback, StageTimer


@dataclass(frozen=True)
class PhotoInputs:
    """A still and what is known about it. ``mask`` None: the segmenter finds the
    hazard's element; ``depth`` None: estimated when a depth model is given, else flat."""

    image: np.ndarray  # uint8 (H, W, 3)
    mask: np.ndarray | None = None  # bool (H, W), True = moves
    depth: np.ndarray | None = None  # float32 (H, W) in [0, 1], larger = nearer
    name: str = ""  # where the photo came from (file name), for the record
    source: str = "image"  # "image" (a user's file) or "image_library" (the daemon's)


@dataclass(frozen=True)
class PhotoSettings:
    """How to animate: loop, camera, seed, and the models' settings (mask method...)."""

    cinemagraph: CinemagraphConfig
    pipeline: PipelineConfig
    seed: int = 0
    language: str = "en"
    alert_text: str = ""


@dataclass(frozen=True)
class PhotoAnimation:
    """The render result, plus the frames themselves (for lossless inspection)."""

    result: RenderResult
    frames: list[np.ndarray]


def animate_photo(
    inputs: PhotoInputs,
    hazard: HazardSpec,
    settings: PhotoSettings,
    *,
    models: ModelSet | None = None,
    estimate_depth: bool = False,
    flow: np.ndarray | None = None,
    fill: FillFn | None = None,
    on_stage: StageCallback | None = None,
) -> PhotoAnimation:
    """Animate ``inputs.image`` for ``hazard``. Raises `RenderError(reason, message)`.

    ``models`` is needed only for what the inputs lack: a mask (LangSAM or CLIPSeg per
    ``settings.pipeline.mask_method``) or, with ``estimate_depth``, a depth map.
    """
    started = time.perf_counter()

    timer = StageTimer(on_stage=on_stage)
    timings, run = timer.timings, timer.run

    image = inputs.image
    extra: dict[str, object] = {"photo": inputs.name, "hazard": hazard.name, "seed": settings.seed}
    # 1. What moves: the given mask, else the segmenter.
    moving = inputs.mask
    mask_record = given_mask_record(moving) if moving is not None else None
    extra["mask_source"] = "given"
    if moving is None:
        models = _need(models, "a mask (no mask was given)")
        segmentation = run(
            "mask",
            lambda: segment(models, image, hazard.segment_prompt, settings.pipeline, "cinemagraph"),
        )
        moving = segmentation.mask
        mask_record = segmentation.record()
        extra.update(
            mask_source=segmentation.method,
            mask_fallback=segmentation.fallback,
        )
    extra["mask_coverage"] = round(float(moving.mean()), 4)
    # 2. Depth: given, estimated, or none (then no camera move and no depth cues).
    depth_map = inputs.depth
    extra["depth_source"] = "given" if depth_map is not None else "none"
    if depth_map is None and estimate_depth:
        depth_model = _need(models, "depth estimation (--depth-model)").depth
        if depth_model is None:
            raise RenderError("models_needed", "depth estimation needs the depth model; not loaded")
        depth_map = run("depth", lambda: depth_stage.estimate_depth(depth_model, image))
        extra["depth_source"] = "model"
    # 3. The cinemagraph.
    device = models.device if models is not None else _device(settings.pipeline.device)
    animation = run(
        "animate",
        lambda: animate_cinemagraph(
            image,
            moving,
            motion_prior(hazard.name, hazard.motion),
            settings.cinemagraph,
            np.random.default_rng(settings.seed),
            depth_map,
            suggested_camera=hazard.motion.camera,
            flow=flow,
            fill=fill,
            device=animation_device(device, image.shape[:2]),
        ),
    )
    extra.update(
        camera=animation.camera,
        camera_amplitude=settings.cinemagraph.camera_amplitude,
        hole_fill=animation.hole_fill,
        hole_fraction=round(animation.hole_fraction, 4),
        animation_device=animation.device,
        animation_timings_ms=animation.timings_ms,
        background_layer_pixels=animation.background_pixels,
        flow_source="given" if flow is not None else "image",
        image_size=[int(image.shape[1]), int(image.shape[0])],
    )
    # 4. Encode and describe.
    frames, fps = animation.frames, settings.cinemagraph.fps
    media = run("encode", lambda: encode.encode_media(frames, fps))
    poster = run("poster", lambda: encode.encode_poster(frames[0]))
    description = run(
        "alt_text",
        lambda: alt_text(hazard.name, settings.language, settings.alert_text, ""),
    )
    timings["total"] = (time.perf_counter() - started) * 1000.0
    used = {inputs.source: inputs.name or "given"}
    if models is not None:
        if inputs.mask is None:
            roles = segmenter_roles(settings.pipeline, "cinemagraph")
            used.update({role: models.names[role] for role in roles if role in models.names})
        if extra["depth_source"] == "model":
            used["depth"] = models.names.get("depth", "depth")
    result = RenderResult(
        media=media,
        poster=poster,
        alt_text=description,
        prompt="",
        negative_prompt="",
        clip_score=0.0,
        candidate_scores=(),
        timings_ms=timings,
        models=used,
        extra=extra,
        mask=mask_record,
    )
    return PhotoAnimation(result, frames)


def _device(name: str) -> torch.device:
    """The configured device; ``auto`` is CUDA when present, as the registry decides."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _need(models: ModelSet | None, what: str) -> ModelSet:
    if models is None:
        raise RenderError("models_needed", f"{what} needs the models; none were loaded")
    return models
