"""Text-to-image stage and the inpainting function masked sampling needs. Both drive
diffusers Stable-Diffusion pipelines; one seeded generator per image keeps every image
reproducible whatever the batch split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.layers import FillFn
from pipeline.masked_sampling import InpaintFn


def _generators(device: torch.device, seeds: Sequence[int]) -> list[torch.Generator]:
    # CPU generators on MPS would break; CUDA pipelines accept CUDA generators.
    kind = device.type if device.type == "cuda" else "cpu"
    return [torch.Generator(kind).manual_seed(int(seed)) for seed in seeds]


def to_uint8_images(array: np.ndarray) -> list[np.ndarray]:
    """diffusers' ``output_type="np"`` floats in [0, 1], (n, H, W, 3) -> uint8 RGB images."""
    clipped = np.clip(np.nan_to_num(array, nan=0.0), 0.0, 1.0)
    return [np.ascontiguousarray((image * 255.0).round().astype(np.uint8)) for image in clipped]


def candidate_seeds(seed: int, count: int) -> list[int]:
    """Seeds of the candidates of one request: consecutive from the request's seed."""
    return [seed * 1000 + index for index in range(count)]


def generate_candidates(
    pipe: Any,
    prompt: str,
    negative_prompt: str,
    *,
    count: int,
    size: int,
    steps: int,
    guidance: float,
    seed: int,
    batch_size: int | None = None,
) -> list[np.ndarray]:
    """Draw ``count`` candidate images (uint8 RGB, ``size`` x ``size``) for one prompt.

    Candidates run in batches of ``batch_size`` (all at once by default); each has its
    own generator, so image *i* is the same for any batch split."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    factor = int(getattr(pipe, "vae_scale_factor", 8))
    if size % factor:
        raise ValueError(f"size must be a multiple of the VAE factor {factor}, got {size}")
    return _call_in_batches(
        pipe,
        candidate_seeds(seed, count),
        batch_size,
        prompt=prompt,
        negative_prompt=negative_prompt,
        height=size,
        width=size,
        num_inference_steps=steps,
        guidance_scale=guidance,
    )


def _call_in_batches(
    pipe: Any, seeds: Sequence[int], batch_size: int | None, **call_args: Any
) -> list[np.ndarray]:
    """Run a diffusers pipeline once per batch of seeds (one seeded generator per image)."""
    per_batch = len(seeds) if batch_size is None else max(1, batch_size)
    device = torch.device(pipe.device)
    images: list[np.ndarray] = []
    for start in range(0, len(seeds), per_batch):
        chunk = list(seeds[start : start + per_batch])
        with torch.inference_mode():
            output = pipe(
                **call_args,
                num_images_per_prompt=len(chunk),
                generator=_generators(device, chunk),
                output_type="np",
            )
        images.extend(to_uint8_images(output.images))
    return images


def make_inpaint_fn(
    pipe: Any,
    prompt: str,
    negative_prompt: str,
    *,
    steps: int,
    guidance: float,
    batch_size: int | None = None,
) -> InpaintFn:
    """An ``InpaintFn`` for masked sampling: (image, mask, seeds) -> one image per seed.

    Pixels outside the mask are copied from the input: the VAE round trip would
    otherwise make the still part of the cinemagraph shimmer between variants."""

    def inpaint(image: np.ndarray, mask: np.ndarray, seeds: Sequence[int]) -> list[np.ndarray]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"image must be uint8 (H, W, 3), got {image.dtype} {tuple(image.shape)}"
            )
        if mask.shape != image.shape[:2] or mask.dtype != np.bool_:
            raise ValueError(f"mask must be bool {image.shape[:2]}, got {mask.dtype} {mask.shape}")
        height, width = image.shape[:2]
        pil_image = Image.fromarray(image)
        pil_mask = Image.fromarray(mask.astype(np.uint8) * 255, mode="L")
        painted_images = _call_in_batches(
            pipe,
            seeds,
            batch_size,
            prompt=prompt,
            negative_prompt=negative_prompt,
            image=pil_image,
            mask_image=pil_mask,
            height=height,
            width=width,
            num_inference_steps=steps,
            guidance_scale=guidance,
        )
        return [np.where(mask[:, :, None], painted, image) for painted in painted_images]

    return inpaint


def make_background_fill(
    pipe: Any, prompt: str, negative_prompt: str, *, steps: int, guidance: float, seed: int
) -> FillFn:
    """A cinemagraph ``FillFn``: the inpainting model paints the background layer's hole
    once per render (paper 2 inpaints the occluded layer), seeded like the render."""
    inpaint = make_inpaint_fn(pipe, prompt, negative_prompt, steps=steps, guidance=guidance)

    def fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        return inpaint(image, hole, [seed])[0]

    return fill
