"""Table 1's four numbers per disaster type, comparing a folder of real photos with a
folder of generated images (both laid out ``DIR/<disaster type>/``):

- FID (lower is better): torchmetrics' FrechetInceptionDistance between the two sets.
- CLIP score (higher is better): 100 * max(cos(E_image, E_text), 0) of each generated
  image against its prompt (``prompts.jsonl`` beside the images) or the type's keywords —
  the pipeline's own CLIPScore (pipeline/select.py), the same definition torchmetrics
  uses; torchmetrics 1.9's clip_score itself breaks on transformers 5's output objects.
- LPIPS (lower = more alike) and SSIM (higher = more alike): torchmetrics, averaged over
  real x generated pairs (the sets are unpaired; at most ``max_pairs`` pairs, fixed)."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchmetrics.functional.image import structural_similarity_index_measure
from torchmetrics.image.fid import FrechetInceptionDistance

from pipeline.select import clip_scores, embed_caption, embed_images
from pipeline.training.extractors import Extractors
from pipeline.training.photos import DatasetError, disaster_keywords, load_rgb, scan_photos

PROMPTS_FILE = "prompts.jsonl"  # written by `cinealert evaluate --generate`
METRICS = ("fid", "clip_score", "lpips", "ssim")


@dataclass(frozen=True)
class TypeScores:
    """One row of the table: a disaster type, its set sizes and four metrics (None when
    a metric cannot be computed for these sets; ``notes`` says why)."""

    disaster_type: str
    real: int
    generated: int
    fid: float | None
    clip_score: float | None
    lpips: float | None
    ssim: float | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def load_folder(root: Path) -> dict[str, list[tuple[Path, np.ndarray]]]:
    """Every image of ``root/<type>/`` by type; a corrupt or tiny image is refused with
    its path (a metric over silently fewer images would mislead)."""
    images: dict[str, list[tuple[Path, np.ndarray]]] = {}
    for photo in scan_photos(root):
        images.setdefault(photo.disaster_type, []).append((photo.path, load_rgb(photo.path)))
    return images


def read_prompts(root: Path) -> dict[str, str]:
    """Absolute image path -> the text to score it against (the scene, else the prompt),
    from ``root/prompts.jsonl`` when present."""
    path = root / PROMPTS_FILE
    if not path.is_file():
        return {}
    prompts = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                entry = json.loads(line)
                text = entry.get("scene") or entry["prompt"]
                prompts[str((root / entry["image"]).resolve())] = str(text)
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise DatasetError(f"{path}:{number}: not a prompt record ({error})") from error
    return prompts


def _tensor(images: Sequence[np.ndarray], size: int) -> torch.Tensor:
    """uint8 (N, 3, size, size), resized with Pillow's bicubic filter."""
    resized = [
        np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC))
        for image in images
    ]
    return torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2).contiguous()


def fid(real: torch.Tensor, generated: torch.Tensor, extractors: Extractors) -> float:
    """FID between two uint8 image batches."""
    weights = str(extractors.inception_weights) if extractors.inception_weights else None
    metric = FrechetInceptionDistance(
        feature=extractors.fid_feature,
        feature_extractor_weights_path=weights,
        input_img_size=(3, real.shape[2], real.shape[3]),
    )
    metric.update(real, real=True)
    metric.update(generated, real=False)
    return float(metric.compute())


def pair_indices(real: int, generated: int, max_pairs: int, seed: int = 0) -> list[tuple[int, int]]:
    """Real x generated index pairs; a fixed random subset when there are too many."""
    pairs = list(itertools.product(range(real), range(generated)))
    if len(pairs) > max_pairs:
        pairs = sorted(random.Random(seed).sample(pairs, max_pairs))
    return pairs


def lpips_and_ssim(
    real: torch.Tensor, generated: torch.Tensor, extractors: Extractors, max_pairs: int
) -> tuple[float, float]:
    """Mean LPIPS and SSIM over real x generated pairs."""
    pairs = pair_indices(len(real), len(generated), max_pairs)
    left = real[[a for a, _ in pairs]].float() / 255.0
    right = generated[[b for _, b in pairs]].float() / 255.0
    with torch.inference_mode():
        # LPIPS networks take [-1, 1]; SSIM takes the [0, 1] range it is told.
        distances = extractors.lpips(left * 2 - 1, right * 2 - 1)
    ssim = structural_similarity_index_measure(right, left, data_range=1.0)
    return float(distances.mean()), float(ssim)  # type: ignore[arg-type]


def clip_score(
    images: Sequence[tuple[Path, np.ndarray]],
    prompts: Mapping[str, str],
    keywords: str,
    extractors: Extractors,
) -> float:
    """Mean CLIP score of generated images against their prompts (or the keywords)."""
    scores: list[float] = []
    for path, image in images:
        text = prompts.get(str(path), keywords)
        embedded = embed_images(extractors.clip, [image])
        scores += clip_scores(embedded, embed_caption(extractors.clip, text), 100.0).tolist()
    return float(np.mean(scores))


def evaluate_folders(
    real_root: Path,
    generated_root: Path,
    extractors: Extractors,
    *,
    max_pairs: int = 64,
    preloaded_real: dict[str, list[tuple[Path, np.ndarray]]] | None = None,
    on_type: Callable[[str], None] | None = None,
) -> list[TypeScores]:
    """One row per disaster type present in both folders (refuses when there is none).
    ``preloaded_real``: the real folder already loaded with `load_folder`."""
    real = load_folder(real_root) if preloaded_real is None else preloaded_real
    generated = load_folder(generated_root)
    shared = sorted(set(real) & set(generated))
    if not shared:
        raise DatasetError(
            f"no disaster type has images in both {real_root} ({', '.join(sorted(real))}) "
            f"and {generated_root} ({', '.join(sorted(generated))})"
        )
    prompts = read_prompts(generated_root.resolve())
    rows = []
    for disaster_type in shared:
        if on_type is not None:
            on_type(disaster_type)
        real_images = _tensor([image for _, image in real[disaster_type]], extractors.image_size)
        made = generated[disaster_type]
        made_images = _tensor([image for _, image in made], extractors.image_size)
        notes = []
        fid_value = None
        if len(real_images) >= 2 and len(made_images) >= 2:
            fid_value = fid(real_images, made_images, extractors)
        else:
            notes.append("FID needs at least 2 images on each side")
        lpips_value, ssim_value = lpips_and_ssim(real_images, made_images, extractors, max_pairs)
        rows.append(
            TypeScores(
                disaster_type=disaster_type,
                real=len(real_images),
                generated=len(made_images),
                fid=fid_value,
                clip_score=clip_score(made, prompts, disaster_keywords(disaster_type), extractors),
                lpips=lpips_value,
                ssim=ssim_value,
                notes=tuple(notes),
            )
        )
    return rows
