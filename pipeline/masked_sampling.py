"""Segmentation-based masked sampling: animate by looping similar inpainted variants.

DESIGN.md "The method" step 6, first paper. The inpainting model and the feature
extractor arrive as callables, so this module loads no model and is testable alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.composite import composite, dilate, feather_alpha
from pipeline.interpolate import interpolate_loop
from pipeline.random_mask import random_mask
from pipeline.subset_search import MAX_LOOP_MEMBERS, loop_order, min_total_distance_subset

InpaintFn = Callable[[np.ndarray, np.ndarray, Sequence[int]], list[np.ndarray]]
EmbedFn = Callable[[Sequence[np.ndarray]], np.ndarray]

# Seeds handed to the inpainter fit a signed 32-bit int, which every torch generator takes.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class MaskedSamplingConfig:
    """Knobs of masked sampling; defaults are the paper's (15 %, 20 variants, k = 5).

    ``block_size``: side in pixels of the random mask's squares (a multiple of the VAE's
    8-px latent cell keeps them whole in the latent mask). ``feather_px``: how far the
    composite grows the mask, with weights falling linearly across that ring."""

    random_ratio: float = 0.15
    variants: int = 20
    subset_k: int = 5
    inbetweens: int = 3
    block_size: int = 16
    feather_px: int = 8

    def __post_init__(self) -> None:
        if not 0.0 <= self.random_ratio <= 1.0:
            raise ValueError(f"random_ratio must be within [0, 1], got {self.random_ratio!r}")
        if self.variants < 1:
            raise ValueError(f"variants must be >= 1, got {self.variants}")
        if not 1 <= self.subset_k <= min(self.variants, MAX_LOOP_MEMBERS):
            raise ValueError(
                f"subset_k must be within [1, min(variants={self.variants}, "
                f"{MAX_LOOP_MEMBERS})], got {self.subset_k}"
            )
        if self.inbetweens < 0:
            raise ValueError(f"inbetweens must be >= 0, got {self.inbetweens}")
        if self.block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {self.block_size}")
        if self.feather_px < 0:
            raise ValueError(f"feather_px must be >= 0, got {self.feather_px}")


@dataclass(frozen=True)
class MaskedSamplingResult:
    """The looping frames and how they were chosen."""

    frames: list[np.ndarray]  # uint8 (H, W, 3), loops: the last blends into the first
    combined_mask: np.ndarray  # bool (H, W): segmentation OR random mask
    moving_mask: np.ndarray  # bool (H, W): the combined mask grown by feather_px; outside
    # it every frame is the source image, byte for byte
    chosen: tuple[int, ...]  # indices of the k variants kept, ascending
    order: tuple[int, ...]  # the same indices in playing order
    distances: np.ndarray  # float64 (variants, variants) Euclidean feature distances
    timings_ms: dict[str, float]


def pairwise_distances(features: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``features`` as a symmetric float64 matrix."""
    values = features.astype(np.float64)
    squared = np.sum(values * values, axis=1)
    gram = values @ values.T
    # Clip the tiny negatives that cancellation leaves on near-identical rows.
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2.0 * gram, 0.0))
    distances = (distances + distances.T) / 2.0
    np.fill_diagonal(distances, 0.0)
    return np.asarray(distances, dtype=np.float64)


def animate_masked_sampling(  # noqa: PLR0917 - positional order is the stage contract
    image: np.ndarray,
    segmentation_mask: np.ndarray,
    inpaint: InpaintFn,
    embed: EmbedFn,
    config: MaskedSamplingConfig,
    rng: np.random.Generator,
) -> MaskedSamplingResult:
    """Inpaint variants inside the combined mask, keep the k most alike, loop them.

    Outside the moving mask (the combined mask grown by ``feather_px``) every frame keeps
    the source image's pixels exactly, so only the masked region moves even if the
    inpainter alters the rest slightly; across the grown ring the variant fades out.
    """
    check_inputs(image, segmentation_mask)
    height, width = segmentation_mask.shape
    timings: dict[str, float] = {}

    # 1. Combined mask: what moves, plus random latent-grid blocks for variety; grown and
    #    feathered for the composite.
    started = time.perf_counter()
    random_part = random_mask(height, width, config.random_ratio, rng, block=config.block_size)
    combined = segmentation_mask | random_part
    moving = dilate(combined, config.feather_px)
    alpha = feather_alpha(combined, config.feather_px)
    timings["random_mask"] = elapsed_ms(started)

    # 2. Inpaint one variant per seed inside the grown mask; composite with soft edges.
    started = time.perf_counter()
    seeds = [int(seed) for seed in rng.integers(0, MAX_SEED, size=config.variants)]
    variants = inpaint(image, moving, seeds)
    check_variants(variants, config.variants, image.shape)
    variants = [composite(image, variant, alpha) for variant in variants]
    timings["inpaint"] = elapsed_ms(started)

    # 3. Features and their pairwise distances.
    started = time.perf_counter()
    features = embed(variants)
    if features.ndim != 2 or features.shape[0] != config.variants:
        raise ValueError(f"embed returned shape {features.shape}, expected ({config.variants}, d)")
    if not np.all(np.isfinite(features)):
        raise ValueError("embed returned non-finite features")
    distances = pairwise_distances(features)
    timings["embed"] = elapsed_ms(started)

    # 4. The k most alike variants (exact), played in the shortest cyclic order.
    started = time.perf_counter()
    chosen = min_total_distance_subset(distances, config.subset_k)
    order = loop_order(distances, chosen)
    timings["subset"] = elapsed_ms(started)

    # 5. Blend consecutive frames so the loop flows.
    started = time.perf_counter()
    frames = interpolate_loop([variants[index] for index in order], config.inbetweens)
    timings["interpolate"] = elapsed_ms(started)

    return MaskedSamplingResult(
        frames=frames,
        combined_mask=combined,
        moving_mask=moving,
        chosen=chosen,
        order=order,
        distances=distances,
        timings_ms=timings,
    )


def check_inputs(image: np.ndarray, segmentation_mask: np.ndarray) -> None:
    """Raise ValueError naming the bad value unless image and mask fit the contract."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if segmentation_mask.dtype != np.bool_ or segmentation_mask.shape != image.shape[:2]:
        raise ValueError(
            f"segmentation mask must be bool {image.shape[:2]}, got "
            f"{segmentation_mask.dtype} {segmentation_mask.shape}"
        )


def check_variants(variants: Sequence[np.ndarray], expected: int, shape: tuple[int, ...]) -> None:
    """Raise ValueError unless the inpainter returned ``expected`` images shaped like the source."""
    if len(variants) != expected:
        raise ValueError(f"inpaint returned {len(variants)} images, expected {expected}")
    for index, variant in enumerate(variants):
        if variant.dtype != np.uint8 or variant.shape != shape:
            raise ValueError(
                f"inpainted variant {index} must be uint8 {shape}, "
                f"got {variant.dtype} {variant.shape}"
            )


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000.0
