"""Masked sampling end to end with a seeded test inpainter (and once with a tiny ViT)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
import timm
import torch

from pipeline.composite import dilate
from pipeline.features import vit_embedder
from pipeline.masked_sampling import (
    MaskedSamplingConfig,
    animate_masked_sampling,
    pairwise_distances,
)
from pipeline.subset_search import subset_cost

HEIGHT, WIDTH = 40, 48


def source_image() -> np.ndarray:
    rng = np.random.default_rng(11)
    return rng.integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def river_mask() -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[25:35, :] = True
    return mask


class SeededInpainter:
    """Fills the mask with seed-dependent noise and nudges everything else (like a VAE)."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, list[int]]] = []

    def __call__(
        self, image: np.ndarray, mask: np.ndarray, seeds: Sequence[int]
    ) -> list[np.ndarray]:
        self.calls.append((mask.copy(), list(seeds)))
        out = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            variant = np.clip(image.astype(np.int16) + 3, 0, 255).astype(np.uint8)
            level = rng.integers(0, 256)
            noise = rng.integers(-20, 21, size=image.shape)
            variant[mask] = np.clip(level + noise[mask], 0, 255).astype(np.uint8)
            out.append(variant)
        return out


def mean_colour_embed(images: Sequence[np.ndarray]) -> np.ndarray:
    return np.stack([img.reshape(-1, 3).mean(axis=0) for img in images]).astype(np.float32)


def test_frames_masks_and_chosen_subset() -> None:
    image, segmentation = source_image(), river_mask()
    inpainter = SeededInpainter()
    config = MaskedSamplingConfig()
    result = animate_masked_sampling(
        image, segmentation, inpainter, mean_colour_embed, config, np.random.default_rng(0)
    )
    # The combined mask contains the segmentation; grown by the feather, it went to the
    # inpainter.
    assert np.all(result.combined_mask[segmentation])
    assert np.all(result.moving_mask[result.combined_mask])
    mask_given, seeds = inpainter.calls[0]
    assert np.array_equal(mask_given, result.moving_mask)
    assert len(seeds) == 20 and len(set(seeds)) == 20
    # Frame count and format.
    assert len(result.frames) == 5 * 4
    assert all(f.shape == image.shape and f.dtype == np.uint8 for f in result.frames)
    # Only the moving mask moves: outside it every frame is the source image exactly.
    outside = ~result.moving_mask
    for frame in result.frames:
        assert np.array_equal(frame[outside], image[outside])
    # The chosen subset is the brute-force optimum of the reported distances.
    best = min(itertools.combinations(range(20), 5), key=lambda c: subset_cost(result.distances, c))
    assert subset_cost(result.distances, result.chosen) == pytest.approx(
        subset_cost(result.distances, best)
    )
    assert sorted(result.order) == list(result.chosen)
    assert set(result.timings_ms) == {"random_mask", "inpaint", "embed", "subset", "interpolate"}


def test_random_part_covers_the_ratio_within_one_block_when_nothing_is_segmented() -> None:
    empty = np.zeros((HEIGHT, WIDTH), dtype=bool)
    config = MaskedSamplingConfig(
        random_ratio=0.25, variants=6, subset_k=3, inbetweens=0, block_size=8
    )
    result = animate_masked_sampling(
        source_image(),
        empty,
        SeededInpainter(),
        mean_colour_embed,
        config,
        np.random.default_rng(2),
    )
    assert abs(int(result.combined_mask.sum()) - 0.25 * HEIGHT * WIDTH) <= 8 * 8
    assert len(result.frames) == 3


def test_same_seed_same_frames() -> None:
    def run(seed: int) -> list[np.ndarray]:
        return animate_masked_sampling(
            source_image(),
            river_mask(),
            SeededInpainter(),
            mean_colour_embed,
            MaskedSamplingConfig(variants=8, subset_k=4, inbetweens=1),
            np.random.default_rng(seed),
        ).frames

    first, again, other = run(4), run(4), run(5)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_with_a_tiny_vit_embedder() -> None:
    torch.manual_seed(0)
    vit = timm.create_model(
        "vit_base_patch16_224",
        pretrained=False,
        embed_dim=32,
        depth=1,
        num_heads=2,
        num_classes=0,
    )
    result = animate_masked_sampling(
        source_image(),
        river_mask(),
        SeededInpainter(),
        vit_embedder(vit),
        MaskedSamplingConfig(),
        np.random.default_rng(1),
    )
    assert result.distances.shape == (20, 20)
    assert np.allclose(result.distances, result.distances.T)
    assert np.all(result.distances[~np.eye(20, dtype=bool)] > 0)
    assert len(result.frames) == 20


def test_pairwise_distances_match_numpy_norms() -> None:
    features = np.random.default_rng(0).normal(size=(7, 5)).astype(np.float32)
    expected = np.linalg.norm(
        features[:, None].astype(np.float64) - features[None].astype(np.float64), axis=-1
    )
    np.testing.assert_allclose(pairwise_distances(features), expected, atol=1e-9)


def test_bad_inpainter_output_and_bad_inputs_are_reported() -> None:
    image, mask = source_image(), river_mask()
    config = MaskedSamplingConfig(variants=4, subset_k=2)

    def too_few(img: np.ndarray, m: np.ndarray, seeds: Sequence[int]) -> list[np.ndarray]:
        return [img] * (len(seeds) - 1)

    def wrong_shape(img: np.ndarray, m: np.ndarray, seeds: Sequence[int]) -> list[np.ndarray]:
        return [img[:-1]] * len(seeds)

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="returned 3 images, expected 4"):
        animate_masked_sampling(image, mask, too_few, mean_colour_embed, config, rng)
    with pytest.raises(ValueError, match="variant 0"):
        animate_masked_sampling(image, mask, wrong_shape, mean_colour_embed, config, rng)
    with pytest.raises(ValueError, match="segmentation mask"):
        animate_masked_sampling(image, mask[1:], SeededInpainter(), mean_colour_embed, config, rng)
    with pytest.raises(ValueError, match="image must be uint8"):
        animate_masked_sampling(
            image.astype(np.float32), mask, SeededInpainter(), mean_colour_embed, config, rng
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"random_ratio": 1.2}, "random_ratio"),
        ({"variants": 0}, "variants"),
        ({"variants": 4, "subset_k": 5}, "subset_k"),
        ({"variants": 30, "subset_k": 13}, "subset_k"),
        ({"inbetweens": -1}, "inbetweens"),
    ],
)
def test_config_rejects_bad_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MaskedSamplingConfig(**kwargs)  # type: ignore[arg-type]


class LatentGridInpainter:
    """Stands in for diffusers' inpainting: the mask is shrunk to the 8-px latent grid
    (a cell is repainted when the mask covers at least half of it), the repainted cells
    get new content per seed, and the VAE round trip nudges every other pixel."""

    def __call__(
        self, image: np.ndarray, mask: np.ndarray, seeds: Sequence[int]
    ) -> list[np.ndarray]:
        height, width = mask.shape
        cells = mask.reshape(height // 8, 8, width // 8, 8).mean(axis=(1, 3)) >= 0.5
        repainted = np.repeat(np.repeat(cells, 8, axis=0), 8, axis=1)
        out = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            variant = np.clip(image.astype(np.int16) + rng.integers(-2, 3), 0, 255)
            fresh = rng.integers(0, 256, size=image.shape)
            out.append(np.where(repainted[:, :, None], fresh, variant).astype(np.uint8))
        return out


def test_still_background_is_identical_in_every_frame_with_a_latent_grid_inpainter() -> None:
    height = width = 128
    image = np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)
    segmentation = np.zeros((height, width), dtype=bool)
    segmentation[96:, :] = True  # the water at the bottom
    config = MaskedSamplingConfig(variants=6, subset_k=3, inbetweens=2)
    result = animate_masked_sampling(
        image,
        segmentation,
        LatentGridInpainter(),
        mean_colour_embed,
        config,
        np.random.default_rng(0),
    )
    outside = ~result.moving_mask
    assert outside.mean() > 0.4  # the test is about a real still background
    for frame in result.frames:
        assert np.array_equal(frame[outside], image[outside])
    # The random part is whole blocks on the latent grid, so the inpainter repaints all
    # of it: every random pixel differs from the source in some frame (none is pasted
    # back unpainted, the flicker of the old single-pixel mask).
    random_part = result.combined_mask & ~dilate(segmentation, config.feather_px)
    cells = random_part.reshape(16, 8, 16, 8)
    assert np.array_equal(cells.all(axis=(1, 3)), cells.any(axis=(1, 3)))
    changed = np.zeros((height, width), dtype=bool)
    for frame in result.frames:
        changed |= np.any(frame != image, axis=2)
    assert changed[random_part].mean() > 0.95
