"""Selection stage: CLIPScore over the candidates, CLIP-S = w * max(cos(E_img, E_txt), 0)
with w = 100 by default (the papers' 0-100 scale, as torchmetrics reports it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.model_set import ProcessedModel


@dataclass(frozen=True)
class Selection:
    """The best candidate's index and every candidate's CLIPScore, in input order."""

    best_index: int
    scores: tuple[float, ...]

    @property
    def best_score(self) -> float:
        """CLIPScore of the chosen candidate."""
        return self.scores[self.best_index]


def clip_scores(image_embeds: np.ndarray, text_embed: np.ndarray, weight: float) -> np.ndarray:
    """CLIPScore of each image row against one caption embedding: w * max(cos, 0)."""
    images = np.asarray(image_embeds, dtype=np.float64)
    text = np.asarray(text_embed, dtype=np.float64).reshape(-1)
    if images.ndim != 2 or images.shape[1] != text.shape[0]:
        raise ValueError(
            f"image embeddings {images.shape} do not match text embedding {text.shape}"
        )
    image_norms = np.linalg.norm(images, axis=1)
    text_norm = np.linalg.norm(text)
    if text_norm == 0 or np.any(image_norms == 0):
        raise ValueError("CLIPScore is undefined for a zero embedding")
    cosine = images @ text / (image_norms * text_norm)
    scores: np.ndarray = weight * np.maximum(cosine, 0.0)
    return scores


def select_best(scores: Sequence[float]) -> Selection:
    """The highest score wins; ties go to the earliest candidate (stable, reproducible)."""
    if not scores:
        raise ValueError("cannot select from zero candidates")
    values = tuple(float(score) for score in scores)
    return Selection(best_index=int(np.argmax(values)), scores=values)


def embed_caption(clip: ProcessedModel, caption: str) -> np.ndarray:
    """CLIP text embedding of the caption (truncated to CLIP's 77-token window)."""
    model: Any = clip.model
    device = next(model.parameters()).device
    inputs = clip.processor.tokenizer(
        [caption], padding=True, truncation=True, max_length=77, return_tensors="pt"
    ).to(device)
    with torch.inference_mode():
        features = model.get_text_features(**inputs).pooler_output
    return np.asarray(features[0].float().cpu().numpy())


def embed_images(clip: ProcessedModel, images: Sequence[np.ndarray]) -> np.ndarray:
    """CLIP image embeddings (n, d) of uint8 RGB images, CLIP's own preprocessing."""
    model: Any = clip.model
    parameter = next(model.parameters())
    pixels = clip.processor.image_processor(
        images=[Image.fromarray(image) for image in images], return_tensors="pt"
    )["pixel_values"].to(parameter.device, parameter.dtype)
    with torch.inference_mode():
        features = model.get_image_features(pixel_values=pixels).pooler_output
    return np.asarray(features.float().cpu().numpy())


def select_candidate(
    clip: ProcessedModel, images: Sequence[np.ndarray], caption: str, weight: float = 100.0
) -> Selection:
    """Score every candidate image against the caption and pick the best."""
    if not images:
        raise ValueError("cannot select from zero candidates")
    scores = clip_scores(embed_images(clip, images), embed_caption(clip, caption), weight)
    return select_best(scores.tolist())
