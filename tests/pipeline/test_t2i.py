"""Text-to-image and inpainting with the tiny Stable Diffusion components."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.mask import fallback_region
from pipeline.model_set import ModelSet
from pipeline.t2i import generate_candidates, make_inpaint_fn, to_uint8_images


def _candidates(models: ModelSet, count: int, seed: int, batch_size: int | None = None) -> list:
    return generate_candidates(
        models.t2i,
        "a flooded street",
        "people",
        count=count,
        size=64,
        steps=2,
        guidance=7.5,
        seed=seed,
        batch_size=batch_size,
    )


def test_candidates_are_uint8_rgb_of_the_requested_size(tiny_models: ModelSet) -> None:
    images = _candidates(tiny_models, count=3, seed=0)
    assert len(images) == 3
    for image in images:
        assert image.shape == (64, 64, 3)
        assert image.dtype == np.uint8
    assert not np.array_equal(images[0], images[1]), "each candidate has its own seed"


def test_same_seed_same_images_whatever_the_batch_split(tiny_models: ModelSet) -> None:
    together = _candidates(tiny_models, count=3, seed=4)
    for first, second in zip(together, _candidates(tiny_models, count=3, seed=4), strict=True):
        np.testing.assert_array_equal(first, second)
    split = _candidates(tiny_models, count=3, seed=4, batch_size=2)
    for first, second in zip(together, split, strict=True):
        # Same noise per image; only float summation order differs between batch shapes.
        assert np.abs(first.astype(int) - second.astype(int)).max() <= 2
    other = _candidates(tiny_models, count=1, seed=5)
    assert not np.array_equal(other[0], together[0])


def test_bad_arguments_are_refused(tiny_models: ModelSet) -> None:
    with pytest.raises(ValueError, match="multiple of the VAE factor 8"):
        generate_candidates(
            tiny_models.t2i, "x", "", count=1, size=60, steps=1, guidance=1.0, seed=0
        )
    with pytest.raises(ValueError, match="count"):
        generate_candidates(
            tiny_models.t2i, "x", "", count=0, size=64, steps=1, guidance=1.0, seed=0
        )


def test_to_uint8_clips_and_rounds() -> None:
    images = to_uint8_images(np.array([[[[0.0, 0.5, 1.2]]], [[[-0.1, np.nan, 1.0]]]]))
    assert images[0].tolist() == [[[0, 128, 255]]]
    assert images[1].tolist() == [[[0, 0, 255]]]


def test_inpaint_changes_only_the_mask_one_image_per_seed(tiny_models: ModelSet) -> None:
    image = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    mask = fallback_region(64, 64)
    inpaint = make_inpaint_fn(tiny_models.inpaint, "water", "people", steps=2, guidance=5.0)
    variants = inpaint(image, mask, [1, 2, 1])
    assert len(variants) == 3
    for variant in variants:
        assert variant.shape == image.shape and variant.dtype == np.uint8
        np.testing.assert_array_equal(variant[~mask], image[~mask])
    assert not np.array_equal(variants[0][mask], variants[1][mask])
    # Same seed, same variant (up to float summation order at another batch position).
    assert np.abs(variants[0].astype(int) - variants[2].astype(int)).max() <= 2
    with pytest.raises(ValueError, match="mask must be bool"):
        inpaint(image, mask.astype(np.uint8), [0])
