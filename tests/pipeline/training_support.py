"""Small image sets the training tests build themselves: a few 64-px PNGs per disaster
type, plus the bad inputs the commands must refuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_photos(
    root: Path, types: tuple[str, ...] = ("flood", "wildfire"), count: int = 3
) -> Path:
    """``root/<type>/<i>.png``: seeded noise over a colour that differs by type."""
    for offset, name in enumerate(types):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            rng = np.random.default_rng(100 * offset + index)
            base = np.array([200, 60, 30]) if offset % 2 else np.array([40, 90, 200])
            pixels = np.clip(base + rng.normal(0, 40, (64, 64, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{index}.png")
    return root


def add_bad_images(root: Path, disaster_type: str = "flood") -> tuple[Path, Path]:
    """A corrupt PNG and a 16-px one in one type folder; returns both paths."""
    corrupt = root / disaster_type / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    tiny = root / disaster_type / "tiny.png"
    Image.new("RGB", (16, 16), "red").save(tiny)
    return corrupt, tiny
