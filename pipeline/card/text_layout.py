"""Lay the alert's own text out in a box: break lines, fit a size, shape and draw.

The text keeps its language: ``fonts.choose_face`` picks the face, libraqm shapes the
lines (Arabic joining, Hangul, CJK locale forms) and lays Arabic and Hebrew right to
left, right-aligned. Lines break at spaces, or between any two Chinese or Japanese
characters under a small kinsoku rule (closing punctuation never starts a line, opening
punctuation never ends one). The largest size whose lines fit the box wins; text that
does not fit even at the smallest size breaks over-long words between characters and
ends in an ellipsis.

Speed: each piece between break opportunities is measured once, at the largest size;
widths scale linearly with the size (to within 0.02 % for these fonts), so the size
search runs on arithmetic and only the chosen lines are shaped again, exactly, to check
that they really fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from pipeline.card.fonts import Face, Script, choose_face, detect_script, load_font, script_of
from pipeline.card.line_breaking import (
    break_by_characters,
    break_units,
    breaks_at_spaces,
    cut_before_ellipsis,
)

Box = tuple[int, int, int, int]
Direction = Literal["ltr", "rtl"]
Align = Literal["start", "center"]

RTL_SCRIPTS = (Script.ARABIC, Script.HEBREW)
RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "yi", "ps"})
# A BCP 47 tag as CAP carries it ("ko-KR", "zh-Hant-TW"); nothing else goes to the shaper.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TextLayout:
    """Lines of text fitted in a ``width`` x ``height`` box, ready to draw.

    Line ``i`` has its baseline ``ascent + i * line_height`` pixels below the box's top.
    ``line_extents`` are the lines' boxes relative to the pen at the left end of their
    baseline: Pillow's ``getbbox``, the ink widened to the pen's advance.
    """

    lines: tuple[str, ...]
    font_size: int
    face: Face
    bold: bool
    direction: Direction
    language: str | None
    line_height: int
    ascent: int
    width: int
    height: int
    line_extents: tuple[Box, ...]
    truncated: bool

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        """The (cached) font the lines are measured and drawn with."""
        return load_font(self.face, self.font_size, self.bold)

    def baseline(self, index: int) -> int:
        """Line ``index``'s baseline, in pixels below the box's top."""
        return self.ascent + index * self.line_height

    @property
    def line_boxes(self) -> tuple[Box, ...]:
        """Each line's box relative to the box's top-left corner, drawn as by default."""
        return self.placed_boxes(self.width)

    @property
    def bounds(self) -> Box | None:
        """The union of ``line_boxes`` (None without lines): what a caller centres."""
        return union(self.line_boxes)

    def placed_boxes(self, width: int, align: Align = "start") -> tuple[Box, ...]:
        """Each line's box relative to the box's top-left corner, as drawn in ``width``."""
        return tuple(
            shift(extent, pen_x(extent, width, self.direction, align), self.baseline(index))
            for index, extent in enumerate(self.line_extents)
        )


def layout_text(
    text: str,
    language: str | None,
    width: int,
    height: int,
    *,
    max_size: int,
    min_size: int,
    max_lines: int,
    bold: bool = False,
    line_spacing: float = 1.2,
) -> TextLayout:
    """``text`` at the largest size in ``min_size..max_size`` at which it fits the box.

    ``language`` is the CAP language tag ("ko-KR", "ar"; None if absent). Whitespace
    runs, newlines included, count as one space. A size fits when its lines number at
    most ``max_lines`` and their boxes stay inside ``width`` x ``height`` with no word
    broken. When even ``min_size`` does not fit, over-wide words are broken between
    characters and the last line that fits ends in an ellipsis. Empty text gives no
    lines. Raises ValueError when not even one line fits the box at ``min_size``.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"the box must have a positive size, got {width}x{height}")
    if not 0 < min_size <= max_size:
        raise ValueError(f"need 0 < min_size <= max_size, got {min_size} and {max_size}")
    if max_lines < 1 or line_spacing <= 0:
        raise ValueError("max_lines must be at least 1 and line_spacing positive")
    clean = WHITESPACE.sub(" ", text).strip()
    face = choose_face(clean, language)
    fitter = Fitter(face, bold, text_direction(clean, language), shaper_language(language))
    script = detect_script(clean)
    fitter.measure(break_units(clean, script), reference_size=max_size)
    box = FitBox(width, height, max_lines, line_spacing)
    if not clean:
        return fitter.build(max_size, [], box, truncated=False)
    estimate = fitter.largest_estimated_size(min_size, max_size, box)
    # The estimate is almost always right; a line the exact shaping finds too wide
    # (kerning across a break, an overhang) costs one size step down.
    sizes_to_check = range(estimate, min_size - 1, -1) if estimate is not None else range(0)
    for size in sizes_to_check:
        lines = fitter.estimated_lines(size, box.width)
        if lines is not None and len(lines) <= box.line_limit(fitter.font(size)):
            layout = fitter.build(size, lines, box, truncated=False)
            if all(inside(line_box, width, height) for line_box in layout.line_boxes):
                return layout
    return fitter.truncated_layout(min_size, box, cut_at_spaces=breaks_at_spaces(script))


@dataclass(frozen=True)
class FitBox:
    """The box to fill and its limits."""

    width: int
    height: int
    max_lines: int
    line_spacing: float

    def line_height(self, size: int) -> int:
        return max(1, round(size * self.line_spacing))

    def line_limit(self, font: ImageFont.FreeTypeFont) -> int:
        """How many lines fit: ``max_lines``, or fewer if the height (by the font's
        ascent and descent, not the ink, so baselines do not depend on the words) holds
        fewer."""
        ascent, descent = font.getmetrics()
        by_height = (self.height - ascent - descent) // self.line_height(int(font.size)) + 1
        return max(0, min(self.max_lines, by_height))


class Fitter:
    """Measures and breaks one text, in one face, direction and language, at any size."""

    def __init__(self, face: Face, bold: bool, direction: Direction, language: str | None) -> None:
        self.face = face
        self.bold = bold
        self.direction: Direction = direction
        self.language = language
        self.units: list[tuple[str, bool]] = []
        self.reference_size = 1
        self.reference_widths: dict[str, float] = {}
        self.reference_space = 0.0

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return load_font(self.face, size, self.bold)

    def measure(self, units: Iterator[tuple[str, bool]], reference_size: int) -> None:
        """Measure every piece once, at ``reference_size``, for the size search."""
        self.units = list(units)
        self.reference_size = reference_size
        font = self.font(reference_size)
        self.reference_space = font.getlength(" ", direction=self.direction)
        for unit, _space_before in self.units:
            if unit not in self.reference_widths:
                self.reference_widths[unit] = font.getlength(
                    unit, direction=self.direction, language=self.language
                )

    def extent(self, size: int, line: str) -> Box:
        """``line``'s box relative to its pen at the left end of its baseline."""
        box = self.font(size).getbbox(
            line, anchor="ls", direction=self.direction, language=self.language
        )
        return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))

    def exact_width(self, size: int, line: str) -> int:
        left, _top, right, _bottom = self.extent(size, line)
        return right - left

    def estimated_lines(self, size: int, width: int) -> list[str] | None:
        """Greedy line breaking on the scaled reference widths; None when a piece alone
        is wider than ``width`` (a smaller size should be tried before breaking it)."""
        scale = size / self.reference_size
        lines: list[str] = []
        current, current_width = "", 0.0
        for unit, space_before in self.units:
            unit_width = self.reference_widths[unit] * scale
            gap = self.reference_space * scale if space_before and current else 0.0
            if current and current_width + gap + unit_width <= width:
                current += (" " if gap else "") + unit
                current_width += gap + unit_width
                continue
            if unit_width > width:
                return None
            if current:
                lines.append(current)
            current, current_width = unit, unit_width
        if current:
            lines.append(current)
        return lines

    def largest_estimated_size(self, min_size: int, max_size: int, box: FitBox) -> int | None:
        """Binary search for the largest size whose estimated lines fit (fitting is
        monotonic in the size but for rare breaking quirks); None if none does."""
        low, high, best = min_size, max_size, None
        while low <= high:
            size = (low + high) // 2
            lines = self.estimated_lines(size, box.width)
            if lines is not None and len(lines) <= box.line_limit(self.font(size)):
                best, low = size, size + 1
            else:
                high = size - 1
        return best

    def exact_lines(self, size: int, width: int, line_limit: int) -> list[str]:
        """Greedy line breaking measured exactly, breaking words wider than ``width``
        between characters; stops after ``line_limit + 1`` lines (the rest is cut)."""

        def fits(line: str) -> bool:
            return self.exact_width(size, line) <= width

        lines: list[str] = []
        current = ""
        for unit, space_before in self.units:
            joined = current + (" " if space_before and current else "") + unit
            if current and fits(joined):
                current = joined
                continue
            if current:
                lines.append(current)
            *full_lines, current = [unit] if fits(unit) else break_by_characters(unit, fits)
            lines.extend(full_lines)
            if len(lines) > line_limit:
                return lines
        return [*lines, current] if current else lines

    def truncated_layout(self, size: int, box: FitBox, *, cut_at_spaces: bool) -> TextLayout:
        """The text at ``size``, over-wide words broken, cut after the lines that fit and
        ended with an ellipsis (after a whole word if ``cut_at_spaces``)."""
        line_limit = box.line_limit(self.font(size))
        if line_limit < 1:
            raise ValueError(f"not even one line fits a box {box.height} px high at {size} px")
        lines = self.exact_lines(size, box.width, line_limit)
        if len(lines) <= line_limit:
            return self.build(size, lines, box, truncated=False)
        last = cut_before_ellipsis(
            lines[line_limit - 1],
            lambda line: self.exact_width(size, line) <= box.width,
            at_spaces=cut_at_spaces,
        )
        return self.build(size, [*lines[: line_limit - 1], last], box, truncated=True)

    def build(self, size: int, lines: list[str], box: FitBox, *, truncated: bool) -> TextLayout:
        ascent, _descent = self.font(size).getmetrics()
        return TextLayout(
            lines=tuple(lines),
            font_size=size,
            face=self.face,
            bold=self.bold,
            direction=self.direction,
            language=self.language,
            line_height=box.line_height(size),
            ascent=ascent,
            width=box.width,
            height=box.height,
            line_extents=tuple(self.extent(size, line) for line in lines),
            truncated=truncated,
        )


def draw_text(
    image: Image.Image,
    layout: TextLayout,
    origin: tuple[int, int],
    width: int,
    fill: tuple[int, int, int],
    *,
    align: Align = "start",
) -> Box:
    """Draw ``layout``'s lines in the box at ``origin``, ``width`` pixels wide; return the
    union of the drawn lines' boxes in image coordinates (an empty box at ``origin`` when
    there are no lines). "start" puts left-to-right lines at the left and right-to-left
    ones at the right; "center" centres every line."""
    left, top = origin
    if not layout.lines:
        return (left, top, left, top)
    draw = ImageDraw.Draw(image)
    font = layout.font
    for index, (line, extent) in enumerate(zip(layout.lines, layout.line_extents, strict=True)):
        pen = (left + pen_x(extent, width, layout.direction, align), top + layout.baseline(index))
        draw.text(
            pen,
            line,
            fill=fill,
            font=font,
            anchor="ls",
            direction=layout.direction,
            language=layout.language,
        )
    drawn = union(layout.placed_boxes(width, align))
    return shift(drawn, left, top) if drawn else (left, top, left, top)


def text_direction(text: str, language: str | None) -> Direction:
    """Right to left when Arabic or Hebrew letters are most of the letters, or when an
    alert in a right-to-left language has any (so "NWS: ..." in Arabic reads from the
    right)."""
    scripts = [script_of(char) for char in text if char.isalpha()]
    rtl_letters = sum(script in RTL_SCRIPTS for script in scripts)
    primary = (language or "").replace("_", "-").split("-")[0].lower()
    if rtl_letters and (primary in RTL_LANGUAGES or 2 * rtl_letters > len(scripts)):
        return "rtl"
    return "ltr"


def shaper_language(language: str | None) -> str | None:
    """The language tag handed to libraqm, or None when it is missing or malformed."""
    if language and LANGUAGE_TAG.match(language):
        return language
    return None


def pen_x(extent: Box, width: int, direction: Direction, align: Align) -> int:
    """Where a line's pen starts so that its whole box sits where ``align`` asks."""
    left, _top, right, _bottom = extent
    if align == "center":
        return (width - (right - left)) // 2 - left
    return width - right if direction == "rtl" else -left


def shift(box: Box, dx: int, dy: int) -> Box:
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def union(boxes: tuple[Box, ...]) -> Box | None:
    if not boxes:
        return None
    lefts, tops, rights, bottoms = zip(*boxes, strict=True)
    return (min(lefts), min(tops), max(rights), max(bottoms))


def inside(box: Box, width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
