"""Reading a user's still, mask and depth from files (`cinealert animate`, the image
library), and drawing masks and depth from polygons (test fixtures, contact sheets)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

Polygon = Sequence[Sequence[float]]  # [(x, y), ...] as fractions of width and height


class StillInputError(ValueError):
    """An input file cannot be used; the message names the file and the reason."""


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except FileNotFoundError as error:
        raise StillInputError(f"{path}: no such file") from error
    except (OSError, UnidentifiedImageError) as error:
        raise StillInputError(f"{path}: not a readable image ({error})") from error
    return image


def fit_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most ``max_side``, both sides
    multiples of 8 (the encoders and the diffusion models want that)."""
    width, height = size
    scale = 1.0 if max_side is None else min(1.0, max_side / max(width, height))
    return max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8)


def load_still(path: Path, max_side: int | None = None) -> np.ndarray:
    """The photo as uint8 RGB (H, W, 3), resized (Lanczos) per `fit_size`."""
    image = _open(path).convert("RGB")
    size = fit_size(image.size, max_side)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).copy()


def load_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """bool (H, W): a mask image's bright pixels (white = moves), resized to ``shape``."""
    image = _open(path).convert("L").resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    mask = np.asarray(image) >= 128
    if not mask.any():
        raise StillInputError(f"{path}: the mask is empty (no pixel >= 128): nothing would move")
    return mask


def load_depth(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """float32 (H, W) nearness in [0, 1] (white = near) from an 8- or 16-bit gray image."""
    image = _open(path)
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        values = np.asarray(image.convert("I").resize((shape[1], shape[0])), dtype=np.float64)
    else:
        values = np.asarray(image.convert("L").resize((shape[1], shape[0])), dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    if high - low <= 0:
        raise StillInputError(f"{path}: the depth map is flat: it holds no depth")
    return ((values - low) / (high - low)).astype(np.float32)


def polygon_mask(polygons: Sequence[Polygon], shape: tuple[int, int]) -> np.ndarray:
    """bool (H, W): the union of ``polygons`` (fractional coordinates) filled."""
    height, width = shape
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        draw.polygon([(x * width, y * height) for x, y in polygon], fill=255)
    return np.asarray(canvas) >= 128


def layered_depth(
    ramp: tuple[float, float], layers: Sequence[tuple[Polygon, float]], shape: tuple[int, int]
) -> np.ndarray:
    """float32 (H, W) nearness: a top-to-bottom ramp (ground nearer at the bottom of the
    frame) with each (polygon, nearness) painted over it in order."""
    height, width = shape
    column = np.linspace(ramp[0], ramp[1], height, dtype=np.float32)
    depth = np.repeat(column[:, None], width, axis=1)
    for polygon, nearness in layers:
        depth[polygon_mask([polygon], shape)] = nearness
    return np.clip(depth, 0.0, 1.0).astype(np.float32)
