"""One bar chart per metric by disaster type (PNG), drawn with Pillow: a chart needs
bars, labels and a scale, not a plotting library's dependency tree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.training.metrics import METRICS, TypeScores
from pipeline.training.table import PaperNumbers, methods_of, value_of

WIDTH, HEIGHT, MARGIN = 720, 400, 60
COLOURS = ((52, 101, 164), (204, 102, 0), (78, 154, 6), (117, 80, 123))
# Pillow's built-in font has no arrows; the titles say the direction in words.
TITLES = {
    "fid": "FID (lower is better)",
    "clip_score": "CLIP score (higher is better)",
    "lpips": "LPIPS (lower = closer to the real photos)",
    "ssim": "SSIM (higher = closer to the real photos)",
}


def bar_chart(
    rows: Sequence[TypeScores], metric: str, paper: PaperNumbers, label: str
) -> Image.Image:
    """Grouped bars: one group per disaster type, one bar per source (ours, papers)."""
    sources = ["ours", *methods_of(paper)]
    # Room for every type's label: 90 px a group, never narrower than the default.
    width = max(WIDTH, 90 * len(rows) + 2 * MARGIN)
    image = Image.new("RGB", (width, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    values = [value_of(row, metric, s, paper) for row in rows for s in sources]
    top = max([v for v in values if v is not None] + [1e-9])
    plot_h = HEIGHT - 2 * MARGIN
    group_w = (width - 2 * MARGIN) / max(len(rows), 1)
    bar_w = group_w * 0.8 / len(sources)
    draw.line((MARGIN, HEIGHT - MARGIN, width - MARGIN, HEIGHT - MARGIN), fill="black")
    draw.line((MARGIN, MARGIN, MARGIN, HEIGHT - MARGIN), fill="black")
    draw.text((MARGIN, 15), f"{TITLES[metric]} by disaster type", fill="black", font=font)
    draw.text((MARGIN - 50, MARGIN - 5), f"{top:.3g}", fill="black", font=font)
    for g, row in enumerate(rows):
        x0 = MARGIN + g * group_w + group_w * 0.1
        for s, source in enumerate(sources):
            value = value_of(row, metric, source, paper)
            if value is None:
                continue
            height = plot_h * max(value, 0.0) / top
            left = x0 + s * bar_w
            box = (left, HEIGHT - MARGIN - height, left + bar_w - 2, HEIGHT - MARGIN)
            draw.rectangle(box, fill=COLOURS[s % len(COLOURS)])
            draw.text((left, box[1] - 12), f"{value:.3g}", fill="black", font=font)
        draw.text((x0, HEIGHT - MARGIN + 8), row.disaster_type, fill="black", font=font)
    for s, source in enumerate(sources):
        name = label if source == "ours" else source
        x = width - MARGIN - 170
        y = 15 + 14 * s
        draw.rectangle((x, y + 2, x + 10, y + 12), fill=COLOURS[s % len(COLOURS)])
        draw.text((x + 15, y), name, fill="black", font=font)
    return image


def write_charts(
    rows: Sequence[TypeScores], paper: PaperNumbers, out: Path, label: str
) -> list[Path]:
    """``<metric>.png`` per metric into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for metric in METRICS:
        path = out / f"{metric}.png"
        bar_chart(rows, metric, paper, label).save(path)
        paths.append(path)
    return paths
