"""ViT-B/16 image features for comparing inpainted variants (masked sampling)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from timm.data.config import resolve_data_config
from timm.data.transforms_factory import create_transform

from pipeline.masked_sampling import EmbedFn

# Small batches keep peak memory flat on CPU; a GPU barely notices the difference at n = 20.
EMBED_BATCH_SIZE = 16


def vit_embedder(model: torch.nn.Module, device: torch.device | str = "cpu") -> EmbedFn:
    """Wrap a timm ViT (head = identity) as images -> float32 (n, num_features) features.

    Images go through the model's own preprocessing (``timm.data.resolve_data_config`` +
    ``create_transform``: resize, centre crop, normalisation). The pooled pre-logits
    features are returned, so a model that still has a classifier head gives the same
    features as one whose head was replaced by identity. The model is put in eval mode and
    must already sit on ``device`` (the registry places models; this only moves inputs).
    """
    num_features = getattr(model, "num_features", None)
    if not isinstance(num_features, int):
        raise TypeError(f"vit_embedder needs a timm model with num_features, got {type(model)}")
    # timm leaves these two untyped.
    data_config = resolve_data_config({}, model=model)  # type: ignore[no-untyped-call]
    transform = create_transform(**data_config)
    target = torch.device(device)
    first_parameter = next(model.parameters(), None)
    if first_parameter is None:
        raise TypeError(f"vit_embedder needs a model with weights, {type(model)} has none")
    # Inputs follow the weights' dtype, so a half-precision model on a GPU works as loaded.
    dtype = first_parameter.dtype
    model.eval()

    def embed(images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, num_features), dtype=np.float32)
        batches: list[np.ndarray] = []
        for start in range(0, len(images), EMBED_BATCH_SIZE):
            chunk = images[start : start + EMBED_BATCH_SIZE]
            pixels = torch.stack(
                [transform(to_pil(image, start + i)) for i, image in enumerate(chunk)]
            )
            with torch.inference_mode():
                tokens = model.forward_features(pixels.to(target, dtype))  # type: ignore[operator]
                pooled = model.forward_head(tokens, pre_logits=True)  # type: ignore[operator]
            batches.append(pooled.float().cpu().numpy())
        features = np.concatenate(batches, axis=0).astype(np.float32, copy=False)
        if features.shape != (len(images), num_features):
            raise RuntimeError(
                f"expected features of shape {(len(images), num_features)}, got {features.shape}"
            )
        return features

    return embed


def to_pil(image: np.ndarray, index: int) -> Image.Image:
    """Check one uint8 RGB (H, W, 3) array and wrap it as a PIL image."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image {index} must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    return Image.fromarray(image)
