"""ViT features on a tiny random-weight timm ViT (same code path as ViT-B/16)."""

from __future__ import annotations

import numpy as np
import pytest
import timm
import torch

from pipeline.features import vit_embedder


@pytest.fixture(scope="module")
def tiny_vit() -> torch.nn.Module:
    torch.manual_seed(0)
    # The ViT-B/16 architecture with a tiny width/depth: its pretrained_cfg (224 px input,
    # bicubic resize, mean/std 0.5) is what the embedder must use for preprocessing.
    return timm.create_model(
        "vit_base_patch16_224",
        pretrained=False,
        embed_dim=32,
        depth=1,
        num_heads=2,
        num_classes=0,
    )


def images(count: int, shape: tuple[int, int] = (48, 64), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8) for _ in range(count)]


def test_features_shape_dtype_and_determinism(tiny_vit: torch.nn.Module) -> None:
    embed = vit_embedder(tiny_vit)
    batch = images(3)
    features = embed(batch)
    assert features.shape == (3, tiny_vit.num_features)
    assert features.dtype == np.float32
    assert np.all(np.isfinite(features))
    assert np.array_equal(features, embed(batch))
    # Different pictures give different features.
    assert not np.allclose(features[0], features[1])


def test_features_equal_a_hand_run_of_the_model(tiny_vit: torch.nn.Module) -> None:
    image = images(1, (224, 224), seed=5)[0]
    # 224 px input: the transform is resize(248) + centre crop(224) + normalise to [-1, 1].
    # Do the same by hand on an image already 248 px to check the normalisation and pooling.
    big = np.asarray(
        torch.nn.functional.interpolate(
            torch.from_numpy(image).permute(2, 0, 1)[None].float(), size=(248, 248)
        )[0]
        .permute(1, 2, 0)
        .round()
        .clamp(0, 255)
        .to(torch.uint8)
    )
    crop = big[12:236, 12:236].astype(np.float32) / 255.0
    pixels = torch.from_numpy((crop - 0.5) / 0.5).permute(2, 0, 1)[None]
    with torch.inference_mode():
        expected = tiny_vit(pixels).numpy()
    features = vit_embedder(tiny_vit)([big])
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-4)


def test_batches_larger_than_one_chunk(tiny_vit: torch.nn.Module) -> None:
    embed = vit_embedder(tiny_vit)
    batch = images(20, (32, 32), seed=1)
    features = embed(batch)
    assert features.shape == (20, tiny_vit.num_features)
    np.testing.assert_allclose(features[17:18], embed(batch[17:18]), rtol=1e-5, atol=1e-5)


def test_empty_input_and_bad_images(tiny_vit: torch.nn.Module) -> None:
    embed = vit_embedder(tiny_vit)
    assert embed([]).shape == (0, tiny_vit.num_features)
    with pytest.raises(ValueError, match="image 1 must be uint8"):
        embed([images(1)[0], np.zeros((8, 8), dtype=np.uint8)])


def test_rejects_a_model_without_features() -> None:
    with pytest.raises(TypeError, match="num_features"):
        vit_embedder(torch.nn.Linear(2, 2))
