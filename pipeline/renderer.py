"""The Renderer: one request from hazard to encoded media, stage by stage —
prompt -> text-to-image -> CLIPScore selection -> mask -> animate -> encode.

Safe to call from worker threads: one lock serialises the model work of a renderer (a
renderer owns one device; the daemon runs one renderer per GPU)."""

from __future__ import annotations

import threading
import time
from typing import TypeVar

import numpy as np

from cap.taxonomy import HazardSpec, UnknownHazardError, load_taxonomy
from pipeline import depth as depth_stage
from pipeline import encode, prompt, registry, segment, select, t2i
from pipeline.alt_text import alt_text
from pipeline.cinemagraph import CinemagraphConfig, animate_cinemagraph, animation_device
from pipeline.config import PipelineConfig
from pipeline.features import vit_embedder
from pipeline.interface import METHODS, MediaFile, RenderError, RenderRequest, RenderResult
from pipeline.layers import FillFn
from pipeline.learned_flow import FlowPredictor
from pipeline.masked_sampling import MaskedSamplingConfig, animate_masked_sampling
from pipeline.model_set import ModelSet
from pipeline.motion import motion_prior
from pipeline.prompt_cache import PromptCache
from pipeline.stage_timer import StageCallback, StageProbe, StageTimer

_T = TypeVar("_T")
_SEED_SPACE = 2**31


def request_seed(config_seed: int, request_seed: int) -> int:
    """One seed per (deployment seed, request seed), kept in a range every RNG accepts."""
    return (config_seed * 1_000_003 + request_seed) % _SEED_SPACE


class PipelineRenderer:
    """`pipeline.interface.Renderer` over the models of one `PipelineConfig`."""

    def __init__(
        self,
        config: PipelineConfig,
        models: ModelSet | None = None,
        on_stage: StageCallback | None = None,
        probe: StageProbe | None = None,
    ) -> None:
        """``on_stage(stage, milliseconds)`` is called as each stage ends (progress output);
        ``probe(stage)`` is a context manager entered around each stage (benchmarks)."""
        self.config = config
        self.on_stage = on_stage
        self.probe = probe
        self._models = models
        self._warm = False
        self._lock = threading.Lock()
        self.prompts = PromptCache(config)
        self.warm_up_ms: dict[str, float] = {}
        self._flow: FlowPredictor | None = None

    @property
    def profile(self) -> str:
        """``tiny`` or ``full``: part of the cache key."""
        return self.config.profile

    @property
    def models(self) -> ModelSet:
        """The loaded models (loading them on first use)."""
        if self._models is None:
            self._models = registry.load_models(self.config)
        return self._models

    def loaded(self) -> list[registry.LoadedModel]:
        """What the registry loaded: role -> name, parameters, dtype, device."""
        return registry.describe(self.models)

    def warm_up(self) -> None:
        """Load every model and run one small pass through each; with ``llm_offload`` on a
        GPU, cache every hazard's prompt and move the LLM off the GPU."""
        with self._lock:
            if not self._warm:
                self.warm_up_ms = registry.warm_up(self.models)
                if self.config.llm_offload and self.models.device.type != "cpu":
                    self.cache_prompts()
                    registry.offload_llm(self.models)
                self._warm = True

    def cache_prompts(self) -> int:
        """Write the prompt of every renderable hazard for seed 0 of this config (with
        greedy decoding, the prompt of every seed); returns how many are cached."""
        taxonomy = load_taxonomy()
        seed = request_seed(self.config.seed, 0)
        for name in taxonomy.renderable:
            self.prompts.get(self.models, taxonomy.get(name), seed)
        return len(self.prompts)

    def render(self, request: RenderRequest) -> RenderResult:
        """Run every stage for one request. Raises `RenderError` with a short reason."""
        hazard = self.check_request(request)
        with self._lock:
            return self._render_locked(request, hazard)

    def check_request(self, request: RenderRequest) -> HazardSpec:
        """The request's hazard, or `RenderError` (unknown hazard or method, nothing to
        draw) — cheap, no model needed, so callers can refuse before loading anything."""
        try:
            hazard = load_taxonomy().get(request.hazard)
        except UnknownHazardError as error:
            raise RenderError("unknown_hazard", str(error)) from error
        if not hazard.renderable:
            raise RenderError("not_renderable", f"hazard {request.hazard!r} has nothing to draw")
        if request.method not in METHODS:
            raise RenderError(
                "unknown_method", f"method {request.method!r} is not one of {METHODS}"
            )
        if request.method not in self.config.methods:
            # Only the configured method's models are loaded (PipelineConfig.method).
            raise RenderError(
                "unknown_method",
                f"this pipeline is configured for {self.config.method!r} only, "
                f"not {request.method!r}",
            )
        return hazard

    def _render_locked(self, request: RenderRequest, hazard: HazardSpec) -> RenderResult:
        config = self.config
        models = self.models
        size = config.resolved_image_size
        seed = request_seed(config.seed, request.seed)
        rng = np.random.default_rng([config.seed, request.seed])
        timer = StageTimer(self.on_stage, self.probe)
        started = time.perf_counter()

        # 1. Prompt: metadata LLM (or the hazard's template when configured), once per
        #    hazard, seed and model set: a warm pipeline reuses it.
        scene = timer.run("prompt", lambda: self.prompts.get(models, hazard, seed))
        # 2. Candidates from the text-to-image model.
        candidates = timer.run(
            "t2i",
            lambda: t2i.generate_candidates(
                models.t2i,
                scene.prompt,
                scene.negative_prompt,
                count=config.candidates,
                size=size,
                steps=config.resolved_steps,
                guidance=config.guidance,
                seed=seed,
                batch_size=config.t2i_batch_size,
            ),
        )
        # 3. CLIPScore selection against the scene description alone: CLIP's text encoder
        #    ignores negation, so "Do not include any humans" would reward humans.
        caption = scene.scene or hazard.keywords
        selection = timer.run(
            "select",
            lambda: select.select_candidate(models.clip, candidates, caption, config.clip_weight),
        )
        image = candidates[selection.best_index]
        # 4. What moves.
        segmentation = timer.run(
            "mask",
            lambda: segment.segment(models, image, hazard.segment_prompt, config, request.method),
        )
        # 5. Animate with the requested method.
        extra: dict[str, object] = {}
        if request.method == "masked-sampling":
            frames = timer.run(
                "animate",
                lambda: self._masked_sampling(models, image, segmentation.mask, scene, rng, extra),
            )
            fps = config.fps
        else:
            # Depth feeds the flow (downhill, perspective) and the hazard's camera path.
            depth_model = _loaded(models.depth, "depth")
            depth_map = timer.run("depth", lambda: depth_stage.estimate_depth(depth_model, image))
            cinemagraph = CinemagraphConfig(
                frames=config.frames, fps=config.fps, camera_amplitude=config.camera_amplitude
            )
            animation = timer.run(
                "animate",
                lambda: animate_cinemagraph(
                    image,
                    segmentation.mask,
                    motion_prior(hazard.name, hazard.motion),
                    cinemagraph,
                    rng,
                    depth_map,
                    suggested_camera=hazard.motion.camera,
                    flow=self._learned_flow(models, image, segmentation.mask),
                    fill=self._background_fill(models, scene, seed),
                    device=animation_device(models.device, image.shape[:2]),
                ),
            )
            frames = animation.frames
            extra.update(
                flow_source="image" if config.flow_model is None else "model",
                camera=animation.camera,
                hole_fill=animation.hole_fill,
                hole_fraction=round(animation.hole_fraction, 4),
                background_layer_pixels=animation.background_pixels,
                animation_device=animation.device,
                animation_timings_ms=animation.timings_ms,
            )
            fps = cinemagraph.fps
        # 6. Encode.
        media, poster = timer.run("encode", lambda: self._encode(frames, fps))
        description = timer.run(
            "alt_text",
            lambda: alt_text(hazard.name, request.language, request.alert_text, scene.scene),
        )
        timings = dict(timer.timings)
        timings["total"] = (time.perf_counter() - started) * 1000.0
        extra.update(
            hazard=hazard.name,
            method=request.method,
            seed=seed,
            image_size=size,
            prompt_source=scene.source,
            llm_text=scene.raw_text,
            prompt_tokens=scene.token_count,
            clip_caption=caption,
            chosen_candidate=selection.best_index,
            mask_method=segmentation.method,
            mask_text=segmentation.text,
            mask_coverage=round(segmentation.coverage, 4),
            mask_segmented_coverage=round(segmentation.segmented_coverage, 4),
            mask_fallback=segmentation.fallback,
            mask_fallback_note=segmentation.fallback_note,
            mask_boxes=len(segmentation.boxes),
            device=str(models.device),
            dtype=str(models.dtype).removeprefix("torch."),
        )
        return RenderResult(
            media=media,
            poster=poster,
            alt_text=description,
            prompt=scene.prompt,
            negative_prompt=scene.negative_prompt,
            clip_score=selection.best_score,
            candidate_scores=selection.scores,
            timings_ms=timings,
            models=self._model_names(
                models, request.method, painted=extra.get("hole_fill") == "inpaint"
            ),
            extra=extra,
            mask=segmentation.record(),
        )

    def _masked_sampling(  # noqa: PLR0917 - private, called once
        self,
        models: ModelSet,
        image: np.ndarray,
        segmentation_mask: np.ndarray,
        scene: prompt.ScenePrompt,
        rng: np.random.Generator,
        extra: dict[str, object],
    ) -> list[np.ndarray]:
        config = self.config
        inpaint = t2i.make_inpaint_fn(
            _loaded(models.inpaint, "inpaint"),
            scene.prompt,
            scene.negative_prompt,
            steps=config.resolved_inpaint_steps,
            guidance=config.guidance,
            batch_size=config.inpaint_batch_size,
        )
        result = animate_masked_sampling(
            image,
            segmentation_mask,
            inpaint,
            vit_embedder(_loaded(models.vit, "vit"), models.device),
            MaskedSamplingConfig(
                random_ratio=config.random_mask_ratio,
                block_size=config.random_mask_block,
                feather_px=config.mask_feather_px,
                variants=config.variants,
                subset_k=config.subset_k,
                inbetweens=config.inbetweens,
            ),
            rng,
        )
        extra["masked_sampling"] = {
            "chosen": list(result.chosen),
            "order": list(result.order),
            "combined_mask_coverage": round(float(result.combined_mask.mean()), 4),
            "moving_mask_coverage": round(float(result.moving_mask.mean()), 4),
            "timings_ms": result.timings_ms,
        }
        return result.frames

    @staticmethod
    def _encode(frames: list[np.ndarray], fps: float) -> tuple[tuple[MediaFile, ...], MediaFile]:
        return encode.encode_media(frames, fps), encode.encode_poster(frames[0])

    def _learned_flow(
        self, models: ModelSet, image: np.ndarray, moving: np.ndarray
    ) -> np.ndarray | None:
        """The configured flow model's field (loaded once), or None: derive it."""
        if self.config.flow_model is None:
            return None
        if self._flow is None:
            self._flow = FlowPredictor(self.config.flow_model, models.device)
        return self._flow(image, moving)

    def _background_fill(
        self, models: ModelSet, scene: prompt.ScenePrompt, seed: int
    ) -> FillFn | None:
        """The inpainting model paints the background layer on the full profile; the tiny
        profile's random inpainter would paint noise, so it gets the classical fill."""
        if self.config.profile != "full" or models.inpaint is None:
            return None
        return t2i.make_background_fill(
            models.inpaint,
            scene.prompt,
            scene.negative_prompt,
            steps=self.config.resolved_inpaint_steps,
            guidance=self.config.guidance,
            seed=seed,
        )

    def _model_names(self, models: ModelSet, method: str, *, painted: bool) -> dict[str, str]:
        """Role -> model name for the models this render actually ran."""
        roles = ["llm", "t2i", "clip"]
        if models.lora_applied:
            roles.insert(1, "lora")
        roles += segment.segmenter_roles(self.config, method)
        if method == "masked-sampling":
            roles += ["inpaint", "vit"]
        else:
            roles.append("depth")
            if painted:  # the inpainter painted the camera's background layer
                roles.append("inpaint")
        return {role: models.names[role] for role in roles if role in models.names}


def _loaded(model: _T | None, role: str) -> _T:
    """A role the request needs; None means the config did not load it (a bug upstream:
    `check_request` refuses methods the config does not serve)."""
    if model is None:
        raise RenderError("not_loaded", f"the {role} model is not loaded for this config")
    return model


def build_renderer(config: PipelineConfig) -> PipelineRenderer:
    """A renderer for ``config``; models load on `warm_up` (or the first render)."""
    return PipelineRenderer(config)
