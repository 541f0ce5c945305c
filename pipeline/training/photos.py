"""A photo folder laid out as ``DIR/<disaster type>/<image>``: which images it holds and
whether each can be read. Disaster types are the taxonomy's renderable hazards, so a
trained adapter speaks the same keywords the renderer asks it for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cap.taxonomy import load_taxonomy

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# Below this side a caption or a metric says more about the upscaling than the scene.
DEFAULT_MIN_SIDE = 32


class DatasetError(ValueError):
    """A photo folder or data file cannot be used; the message names the path and why."""


class UnreadableImageError(ValueError):
    """One image cannot be used (corrupt, not an image, too small); ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    """One image file and the disaster type its folder names."""

    path: Path
    disaster_type: str


def disaster_types() -> tuple[str, ...]:
    """Every disaster type a folder may be named after (the renderable hazards)."""
    return load_taxonomy().renderable


def disaster_keywords(disaster_type: str) -> str:
    """The CAP keywords the renderer prompts with for this type, e.g. ``Flood``."""
    check_disaster_type(disaster_type)
    return load_taxonomy().get(disaster_type).keywords


def check_disaster_type(name: str) -> None:
    """Raise `DatasetError` unless ``name`` is a known, renderable disaster type."""
    if name not in disaster_types():
        raise DatasetError(
            f"unknown disaster type {name!r}: folder names must be one of "
            f"{', '.join(disaster_types())}"
        )


def scan_photos(root: Path) -> list[Photo]:
    """Every image under ``root/<disaster type>/`` (recursively), sorted by path.

    Refuses a missing folder, a type folder without images and any sub-folder that is not
    a disaster type, so a typo never silently drops a class from the training set."""
    root = root.resolve()  # records name absolute paths, so a resume matches them
    if not root.is_dir():
        raise DatasetError(f"{root}: not a directory")
    # Hidden folders (.thumbnails, .ipynb_checkpoints) are tool litter, not classes.
    folders = sorted(e for e in root.iterdir() if e.is_dir() and not e.name.startswith("."))
    if not folders:
        raise DatasetError(
            f"{root}: no disaster-type folders; expected {root}/<type>/<images>, types: "
            f"{', '.join(disaster_types())}"
        )
    photos: list[Photo] = []
    for folder in folders:
        check_disaster_type(folder.name)
        found = [
            Photo(path=path, disaster_type=folder.name)
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
        ]
        if not found:
            raise DatasetError(
                f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                "remove the empty type folder or add photos"
            )
        photos += found
    return photos


def load_rgb(path: Path, min_side: int = DEFAULT_MIN_SIDE) -> np.ndarray:
    """The image as uint8 RGB (H, W, 3); raise `UnreadableImageError` with the reason."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        # Pillow reports truncated and corrupt files as OSError/SyntaxError/ValueError.
        raise UnreadableImageError(path, f"not a readable image ({error})") from error
    if min(rgb.size) < min_side:
        raise UnreadableImageError(
            path, f"too small ({rgb.size[0]}x{rgb.size[1]} px, need >= {min_side} px a side)"
        )
    return np.asarray(rgb)
