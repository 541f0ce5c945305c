"""Settings of the generative pipeline. Deliberately free of torch: the daemon builds one
of these while staying light, and the registry turns it into loaded models later."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROFILES = ("tiny", "full")
# "auto": CLIPSeg for masked sampling (paper 1), GroundingDINO + SAM for the cinemagraph
# (paper 2); or one segmenter for both.
MASK_METHODS = ("auto", "langsam", "clipseg")
# The animation methods (pipeline.interface.METHODS, repeated here to keep this torch-free
# module free of imports from the stages).
ANIMATION_METHODS = ("masked-sampling", "cinemagraph")
SEGMENTER_ROLES = {"langsam": ("grounding_dino", "sam"), "clipseg": ("clipseg",)}
DTYPES = ("auto", "float32", "float16", "bfloat16")
# Semi-axes (fractions of width, height) of the centred ellipse a mask falls back to when
# its coverage is out of bounds (pipeline/mask.py); its area share is the constant below.
MASK_FALLBACK_SEMI_AXES = (0.35, 0.35)
MASK_FALLBACK_COVERAGE = math.pi * MASK_FALLBACK_SEMI_AXES[0] * MASK_FALLBACK_SEMI_AXES[1]

# Every model the pipeline can use; the names appear in `CINEALERT_MODEL_<ROLE>` settings.
ROLES = (
    "llm",
    "lora",
    "t2i",
    "inpaint",
    "clip",
    "grounding_dino",
    "sam",
    "clipseg",
    "vit",
    "depth",
)


class PipelineConfigError(ValueError):
    """A pipeline setting has a value the pipeline cannot use; names the setting and value."""

    def __init__(self, setting: str, value: object, expected: str) -> None:
        super().__init__(f"{setting}={value!r} is invalid: expected {expected}")
        self.setting = setting
        self.value = value


@dataclass(frozen=True)
class PipelineConfig:
    """Everything the registry and the renderer need; validated at construction."""

    profile: str = "tiny"
    device: str = "auto"  # "auto" = CUDA when present, else CPU; or "cpu", "cuda", "cuda:1"
    dtype: str = "auto"  # "auto" = float16 on CUDA, float32 on CPU
    image_size: int | None = None  # None = the profile's default (128 tiny, 512 full)
    candidates: int = 10
    # Most images per diffusion call (x2 with classifier-free guidance): caps activation
    # memory, whatever `candidates` and `variants` are.
    t2i_batch_size: int = 10
    inpaint_batch_size: int = 10
    # On a GPU, write every hazard's prompt at warm-up, then move the LLM (13.5 GB for
    # Llama-2-7B in float16) to CPU memory: renders reuse the cached prompts. A prompt
    # not cached then (seeded sampling) is written on the CPU, slowly.
    llm_offload: bool = True
    # torch.compile the UNets (first render pays the compile; later ones run faster).
    torch_compile: bool = False
    steps: int | None = None  # None = the profile's default (4 tiny, 20 full)
    guidance: float = 7.5
    clip_weight: float = 100.0
    mask_method: str = "auto"
    # The one animation method this pipeline serves (the daemon's render_method), so only
    # its models load; None = both (the CLI and benchmarks).
    method: str | None = None
    box_threshold: float = 0.3
    # Share of the image a segmentation mask may cover; outside, the documented fallback
    # (pipeline/mask.py) is taken and the record says so.
    mask_min_coverage: float = 0.02
    mask_max_coverage: float = 0.90
    text_threshold: float = 0.25
    random_mask_ratio: float = 0.15
    # Squares of the random mask, on the VAE's 8-px latent grid (pipeline/random_mask.py),
    # and how far the composite grows and feathers the inpainting mask.
    random_mask_block: int = 16
    mask_feather_px: int = 8
    variants: int = 20
    subset_k: int = 5
    inpaint_steps: int | None = None  # None = min(steps, 15 full / 2 tiny): 20 per render
    inbetweens: int = 3
    frames: int = 16
    fps: float = 8.0
    # Cinemagraph camera: how far the nearest point moves, as a share of the image width.
    camera_amplitude: float = 0.02
    # A learned image-to-flow model (TorchScript, pipeline/learned_flow.py) replacing the
    # image-derived flow field; None = derive the field from the picture.
    flow_model: Path | None = None
    prompt_max_new_tokens: int | None = None  # None = the profile's default (16 tiny, 77 full)
    prompt_sampling: bool = False  # False = greedy decoding; True = seeded sampling
    use_prompt_template: bool = False
    seed: int = 0
    model_sources: Mapping[str, str] = field(default_factory=dict)  # role -> hub id or dir
    # Hugging Face hub cache holding (or receiving) the files of hub-id sources; None =
    # huggingface_hub's own default (`$HF_HUB_CACHE`, else `$HF_HOME/hub`).
    model_cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise PipelineConfigError("profile", self.profile, f"one of {PROFILES}")
        if self.mask_method not in MASK_METHODS:
            raise PipelineConfigError("mask_method", self.mask_method, f"one of {MASK_METHODS}")
        if self.method is not None and self.method not in ANIMATION_METHODS:
            raise PipelineConfigError("method", self.method, f"one of {ANIMATION_METHODS} or None")
        if self.dtype not in DTYPES:
            raise PipelineConfigError("dtype", self.dtype, f"one of {DTYPES}")
        if self.image_size is not None and (self.image_size < 64 or self.image_size % 8):
            raise PipelineConfigError("image_size", self.image_size, "a multiple of 8, >= 64")
        for name in ("t2i_batch_size", "inpaint_batch_size"):
            if getattr(self, name) < 1:
                raise PipelineConfigError(name, getattr(self, name), ">= 1")
        if self.candidates < 1:
            raise PipelineConfigError("candidates", self.candidates, ">= 1")
        if self.steps is not None and self.steps < 1:
            raise PipelineConfigError("steps", self.steps, ">= 1")
        if self.inpaint_steps is not None and self.inpaint_steps < 1:
            raise PipelineConfigError("inpaint_steps", self.inpaint_steps, ">= 1")
        if not 0.0 <= self.random_mask_ratio <= 1.0:
            raise PipelineConfigError("random_mask_ratio", self.random_mask_ratio, "in [0, 1]")
        if self.random_mask_block < 8 or self.random_mask_block % 8:
            raise PipelineConfigError(
                "random_mask_block", self.random_mask_block, "a multiple of 8 (the latent cell)"
            )
        if not 0 <= self.mask_feather_px <= 64:
            raise PipelineConfigError("mask_feather_px", self.mask_feather_px, "in [0, 64]")
        if not 0.0 <= self.box_threshold <= 1.0:
            raise PipelineConfigError("box_threshold", self.box_threshold, "in [0, 1]")
        if not (
            0.0 <= self.mask_min_coverage < MASK_FALLBACK_COVERAGE < self.mask_max_coverage <= 1.0
        ):
            raise PipelineConfigError(
                "mask_min_coverage/mask_max_coverage",
                (self.mask_min_coverage, self.mask_max_coverage),
                f"0 <= min < {MASK_FALLBACK_COVERAGE:.3f} (the fallback ellipse) < max <= 1",
            )
        if not 0.0 <= self.text_threshold <= 1.0:
            raise PipelineConfigError("text_threshold", self.text_threshold, "in [0, 1]")
        if self.subset_k < 2 or self.variants < self.subset_k:
            raise PipelineConfigError(
                "subset_k/variants", (self.subset_k, self.variants), "2 <= subset_k <= variants"
            )
        if self.prompt_max_new_tokens is not None and self.prompt_max_new_tokens < 1:
            raise PipelineConfigError("prompt_max_new_tokens", self.prompt_max_new_tokens, ">= 1")
        if self.inbetweens < 0:
            raise PipelineConfigError("inbetweens", self.inbetweens, ">= 0")
        if self.frames < 2:
            raise PipelineConfigError("frames", self.frames, ">= 2")
        if self.fps <= 0:
            raise PipelineConfigError("fps", self.fps, "> 0")
        if not 0.0 <= self.camera_amplitude <= 0.1:
            raise PipelineConfigError("camera_amplitude", self.camera_amplitude, "in [0, 0.1]")
        if self.flow_model is not None and not self.flow_model.is_file():
            raise PipelineConfigError("flow_model", self.flow_model, "an existing TorchScript file")
        if self.clip_weight <= 0:
            raise PipelineConfigError("clip_weight", self.clip_weight, "> 0")
        unknown = sorted(set(self.model_sources) - set(ROLES))
        if unknown:
            raise PipelineConfigError("model_sources", unknown, f"roles among {ROLES}")
        if self.model_cache_dir is not None and self.model_cache_dir.is_file():
            raise PipelineConfigError("model_cache_dir", self.model_cache_dir, "a directory")

    @property
    def methods(self) -> tuple[str, ...]:
        """The animation methods this pipeline serves."""
        return ANIMATION_METHODS if self.method is None else (self.method,)

    def mask_method_for(self, method: str) -> str:
        """The segmenter one animation method uses: the setting, or for ``auto`` CLIPSeg
        with masked sampling (paper 1) and LangSAM with the cinemagraph (paper 2)."""
        if self.mask_method != "auto":
            return self.mask_method
        return "clipseg" if method == "masked-sampling" else "langsam"

    def roles_needed(self) -> tuple[str, ...]:
        """Model roles the served methods use (``lora`` is the loader's business: it
        depends on whether an adapter is configured)."""
        roles = ["llm", "t2i", "clip"]
        for method in self.methods:
            if method == "masked-sampling":
                roles += ["inpaint", "vit"]
            else:
                roles.append("depth")
                # The full profile paints the cinemagraph's disoccluded background layer
                # with the inpainting model (paper 2); the tiny one fills it classically.
                if self.profile == "full":
                    roles.append("inpaint")
            roles += SEGMENTER_ROLES[self.mask_method_for(method)]
        return tuple(role for role in ROLES if role in roles)

    @property
    def resolved_image_size(self) -> int:
        """Image side in pixels: the explicit setting or the profile's default."""
        if self.image_size is not None:
            return self.image_size
        return 128 if self.profile == "tiny" else 512

    @property
    def resolved_steps(self) -> int:
        """Denoising steps for text-to-image: the explicit setting or the profile's default."""
        if self.steps is not None:
            return self.steps
        # DPM-Solver++(2M) reaches its quality plateau in 15-20 steps on Stable Diffusion
        # (pipeline/diffusion_parts.py); 25+ buys nothing visible for a 512 px alert image.
        return 4 if self.profile == "tiny" else 20

    @property
    def resolved_prompt_tokens(self) -> int:
        """Most tokens the metadata LLM may write (the t2i prompt holds 77 anyway)."""
        if self.prompt_max_new_tokens is not None:
            return self.prompt_max_new_tokens
        return 16 if self.profile == "tiny" else 77

    @property
    def resolved_inpaint_steps(self) -> int:
        """Denoising steps for the inpainting variants."""
        if self.inpaint_steps is not None:
            return self.inpaint_steps
        # Variants repaint a small region and are then blended into a loop; 20 of them are
        # drawn, so a few steps fewer than the hero image are the better trade.
        return min(2 if self.profile == "tiny" else 15, self.resolved_steps)

    def with_changes(self, **changes: object) -> PipelineConfig:
        """A copy with some settings replaced (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def config_from_env(
    environ: Mapping[str, str] | None = None, **overrides: object
) -> PipelineConfig:
    """Build a config from `CINEALERT_MODELS`, `CINEALERT_RENDER_DTYPE`,
    `CINEALERT_RENDER_MASK_METHOD`, `CINEALERT_MODEL_<ROLE>` and
    `CINEALERT_MODEL_CACHE_DIR`; keyword overrides win."""
    env = os.environ if environ is None else environ
    sources = {
        role: env[f"CINEALERT_MODEL_{role.upper()}"]
        for role in ROLES
        if env.get(f"CINEALERT_MODEL_{role.upper()}")
    }
    values: dict[str, object] = {"model_sources": sources}
    # The same names the daemon's settings use (docs/configuration.md).
    for key, name in (
        ("profile", "CINEALERT_MODELS"),
        ("dtype", "CINEALERT_RENDER_DTYPE"),
        ("mask_method", "CINEALERT_RENDER_MASK_METHOD"),
    ):
        if env.get(name):
            values[key] = env[name]
    if env.get("CINEALERT_MODEL_CACHE_DIR"):
        values["model_cache_dir"] = Path(env["CINEALERT_MODEL_CACHE_DIR"])
    values.update(overrides)
    return PipelineConfig(**values)  # type: ignore[arg-type]
