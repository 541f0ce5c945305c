"""The card's frames: a severity-coloured square, the animated hazard pictogram on top,
and a panel below with the alert's own words (event, headline, area, expiry).

Everything but the pictogram is the same in every frame, so it is drawn once (the
static layer) and each frame only pastes the pictogram of its phase onto a copy. Frame
``i`` of ``n`` is phase ``i / n``, so the loop closes: the frame after the last would
be frame 0 again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from pipeline.card.content import expiry_line
from pipeline.card.fonts import Face, load_font
from pipeline.card.palette import SeverityColours, colours_for
from pipeline.card.pictograms import draw_pictogram
from pipeline.card.text_layout import Box, TextLayout, draw_text, layout_text
from pipeline.interface import CardText

CARD_SIZE = 512
# 16 frames at 8 fps: a 2-second loop, slow enough to read the text while it plays.
CARD_FRAMES = 16
CARD_FPS = 8.0

# Proportions of the card side (512 px: the pictogram is 220 px, the panel 236 px high).
PICTOGRAM_SIDE = 0.43
PICTOGRAM_TOP = 0.035
PANEL_TOP = 0.5
MARGIN = 0.035
PADDING = 0.03
GAP = 0.014


@dataclass(frozen=True)
class TextBlock:
    """One block of the panel: its text and how large it may be (fractions of the side)."""

    text: str
    max_size: float
    min_size: float
    max_lines: int
    share: float  # of the panel's inner height, before unused space is handed on
    bold: bool = False


def warm_fonts() -> None:
    """Load every bundled face once; raises (naming the package) if one is missing."""
    for face in Face:
        load_font(face, 24)
        load_font(face, 24, bold=True)


@dataclass(frozen=True)
class CardLayout:
    """Where everything is: the static layer and the boxes (left, top, right, bottom)."""

    static: Image.Image
    colours: SeverityColours
    pictogram: Box
    panel: Box
    text_boxes: tuple[Box, ...]  # the ink of each text block as drawn


def card_frames(hazard: str, text: CardText, size: int, frames: int) -> list[np.ndarray]:
    """``frames`` RGB frames (``size`` x ``size``, uint8) of the card for ``hazard``."""
    layout = card_layout(hazard, text, size)
    left, top, right, _ = layout.pictogram
    result = []
    for index in range(frames):
        pictogram = draw_pictogram(hazard, index / frames, right - left, layout.colours.ink)
        frame = layout.static.copy()
        frame.paste(pictogram, (left, top), pictogram)
        result.append(np.asarray(frame))
    return result


def card_layout(hazard: str, text: CardText, size: int) -> CardLayout:
    """The card without its pictogram, and where the pictogram and the text go."""
    colours = colours_for(text.severity)
    side = round(size * PICTOGRAM_SIDE)
    left, top = (size - side) // 2, round(size * PICTOGRAM_TOP)
    static, panel, boxes = _static_layer(hazard, text, size, colours)
    return CardLayout(static, colours, (left, top, left + side, top + side), panel, boxes)


def _blocks(hazard: str, text: CardText) -> list[TextBlock]:
    event = text.event or hazard.replace("_", " ").capitalize()
    blocks = [
        TextBlock(event, max_size=0.078, min_size=0.039, max_lines=2, share=0.34, bold=True),
        TextBlock(text.headline, max_size=0.05, min_size=0.031, max_lines=3, share=0.34),
        TextBlock(text.area, max_size=0.04, min_size=0.029, max_lines=2, share=0.18),
        TextBlock(
            expiry_line(text.expires, text.language),
            max_size=0.036,
            min_size=0.027,
            max_lines=1,
            share=0.14,
        ),
    ]
    return [block for block in blocks if block.text.strip()]


def _static_layer(
    hazard: str, text: CardText, size: int, colours: SeverityColours
) -> tuple[Image.Image, Box, tuple[Box, ...]]:
    image = Image.new("RGB", (size, size), colours.background)
    margin, padding, gap = (round(size * part) for part in (MARGIN, PADDING, GAP))
    panel: Box = (margin, round(size * PANEL_TOP), size - margin, size - margin)
    ImageDraw.Draw(image).rounded_rectangle(panel, radius=padding, fill=colours.panel)
    left, top = panel[0] + padding, panel[1] + padding
    width, height = panel[2] - panel[0] - 2 * padding, panel[3] - panel[1] - 2 * padding
    blocks = _blocks(hazard, text)
    shares = sum(block.share for block in blocks)
    spare = 0
    boxes = []
    for block in blocks:
        # A block gets its share of the panel plus what the blocks above left unused.
        budget = round(height * block.share / shares) + spare - gap
        layout = _layout(block, text.language, width, budget, size)
        used = _used_height(layout)
        boxes.append(draw_text(image, layout, (left, top), width, colours.ink))
        top += used + gap
        spare = budget - used
    return image, panel, tuple(boxes)


def _layout(block: TextBlock, language: str, width: int, height: int, size: int) -> TextLayout:
    min_size = max(8, round(size * block.min_size))
    max_size = max(min_size, round(size * block.max_size))
    # A budget shrunk by long blocks above still holds one line at the smallest size.
    height = max(height, round(min_size * 1.5))
    return layout_text(
        block.text,
        language or None,
        width,
        height,
        max_size=max_size,
        min_size=min_size,
        max_lines=block.max_lines,
        bold=block.bold,
    )


def _used_height(layout: TextLayout) -> int:
    if not layout.lines:
        return 0
    return layout.ascent + (len(layout.lines) - 1) * layout.line_height + layout.font_size // 4
