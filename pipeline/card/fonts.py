"""The card's bundled fonts: where they are, loading them, what they cover, which to use.

Every font comes from a Python package under the SIL Open Font License 1.1, so the card
never depends on what the host has installed: Noto Sans (Latin, Greek, Cyrillic), Noto
Sans Arabic, Heebo (Hebrew and Latin) and the Noto Sans CJK collection (one face per
region: Japanese, Korean, Simplified and Traditional Chinese, Hong Kong).

Coverage is read from each font's own ``cmap`` table with fontTools (its best Unicode
subtable), so a missing glyph ("tofu") is known before anything is drawn.

Face choice (``choose_face``): the text's main script names a face (Hangul -> CJK KR,
kana -> CJK JP, Han -> the CJK face of the CAP language tag, Simplified Chinese without
one; Arabic -> Noto Sans Arabic, Hebrew -> Heebo, anything else -> Noto Sans). A line is
drawn in one font, so a face that lacks some character of the text gives way to the
first other face that covers all of it; when none does, the face missing the fewest
characters is kept. The CJK faces cover Latin, Greek and Cyrillic, so Korean mixed with
digits and Latin stays in the KR face. The bundled Noto Sans Arabic carries Basic Latin
and most of Latin-1 (its cmap, checked), and Heebo Basic Latin, so "NWS 18:00" inside
an Arabic or Hebrew alert is drawn in the same face, not as tofu.
"""

from __future__ import annotations

import enum
import functools
import importlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont

# OpenType weight axis values: 400 is Regular and 700 Bold in every variable font here.
REGULAR_WEIGHT = 400
BOLD_WEIGHT = 700
WEIGHT_AXIS_NAME = b"Weight"


class FontMissingError(RuntimeError):
    """A font package is not installed; the message names the package to install."""


@dataclass(frozen=True)
class FontSource:
    """Where one face lives: a package, the attribute giving its folder or file, and more.

    ``attribute`` is ``ROOT`` (a folder, with ``relative_file`` inside it) or
    ``FONT_PATH`` (the file itself); ``index`` picks a face in a collection (.ttc).
    """

    package: str
    distribution: str
    attribute: str
    relative_file: str
    index: int
    variable_weight: bool


class Face(enum.Enum):
    """Every face the card can draw with."""

    NOTO_SANS = FontSource(
        "fontpkg_noto_sans", "fontpkg-noto-sans", "ROOT", "files/NotoSans[wdth,wght].ttf", 0, True
    )
    NOTO_SANS_ARABIC = FontSource(
        "fontpkg_noto_sans_arabic",
        "fontpkg-noto-sans-arabic",
        "ROOT",
        "files/NotoSansArabic[wdth,wght].ttf",
        0,
        True,
    )
    HEEBO = FontSource("fontpkg_heebo", "fontpkg-heebo", "ROOT", "files/Heebo[wght].ttf", 0, True)
    # The CJK collection ships in Regular only: ``bold`` is ignored for these faces.
    CJK_JP = FontSource("noto_cjk_sans_otc", "noto-cjk-sans-otc", "FONT_PATH", "", 0, False)
    CJK_KR = FontSource("noto_cjk_sans_otc", "noto-cjk-sans-otc", "FONT_PATH", "", 1, False)
    CJK_SC = FontSource("noto_cjk_sans_otc", "noto-cjk-sans-otc", "FONT_PATH", "", 2, False)
    CJK_TC = FontSource("noto_cjk_sans_otc", "noto-cjk-sans-otc", "FONT_PATH", "", 3, False)
    CJK_HK = FontSource("noto_cjk_sans_otc", "noto-cjk-sans-otc", "FONT_PATH", "", 4, False)

    @property
    def index(self) -> int:
        """The face's index in its file (0 unless the file is a collection)."""
        return self.value.index


@functools.cache
def font_file(face: Face) -> Path:
    """The font file of ``face``, found through its package (never a hard-coded path)."""
    source = face.value
    try:
        module = importlib.import_module(source.package)
    except ImportError as error:
        raise FontMissingError(
            f"the font package {source.distribution!r} is not installed "
            f"(pip install {source.distribution}); the alert card needs it for {face.name}"
        ) from error
    location = Path(str(getattr(module, source.attribute)))
    path = location / source.relative_file if source.relative_file else location
    if not path.is_file():
        raise FontMissingError(
            f"{path} is missing from the font package {source.distribution!r}: "
            f"reinstall it (pip install --force-reinstall {source.distribution})"
        )
    return path


@functools.lru_cache(maxsize=256)
def load_font(face: Face, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` pixels, shaped by libraqm; cached, since loading is slow.

    The returned font is shared by every caller: do not change its variation settings.
    """
    if size <= 0:
        raise ValueError(f"font size must be positive, got {size}")
    font = ImageFont.truetype(
        str(font_file(face)), size, index=face.index, layout_engine=ImageFont.Layout.RAQM
    )
    if face.value.variable_weight:
        # Set the weight by axis name (the axis order differs between fonts) and keep every
        # other axis, such as width, at its default.
        weight = BOLD_WEIGHT if bold else REGULAR_WEIGHT
        font.set_variation_by_axes(
            [
                weight if axis.get("name") == WEIGHT_AXIS_NAME else (axis["default"] or 0)
                for axis in font.get_variation_axes()
            ]
        )
    return font


@functools.cache
def covered_codepoints(face: Face) -> frozenset[int]:
    """Every code point that ``face`` maps to a real glyph (not .notdef)."""
    # lazy: only the cmap table is read, not the CJK collection's 65k glyph outlines.
    with TTFont(font_file(face), fontNumber=face.index, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return frozenset(code for code, glyph in cmap.items() if glyph != ".notdef")


def missing_characters(face: Face, text: str) -> list[str]:
    """The characters of ``text`` that ``face`` has no glyph for: tofu when drawn.

    Whitespace and invisible format characters (joiners, direction marks, variation
    selectors) need no glyph: the shaper draws nothing for them.
    """
    covered = covered_codepoints(face)
    return [char for char in text if needs_glyph(char) and ord(char) not in covered]


def needs_glyph(char: str) -> bool:
    """Whether drawing ``char`` shows a glyph (False for spaces and format characters)."""
    is_variation_selector = 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF
    return not (char.isspace() or unicodedata.category(char) == "Cf" or is_variation_selector)


class Script(enum.Enum):
    """The scripts that decide the face, the direction and the line breaking."""

    ARABIC = "arabic"
    HEBREW = "hebrew"
    HANGUL = "hangul"
    KANA = "kana"
    HAN = "han"
    OTHER = "other"  # Latin, Greek, Cyrillic, digits, punctuation: Noto Sans


# Code point ranges per script: Unicode blocks, their supplements and presentation forms.
SCRIPT_RANGES: tuple[tuple[int, int, Script], ...] = (
    (0x0590, 0x05FF, Script.HEBREW),
    (0x0600, 0x06FF, Script.ARABIC),
    (0x0750, 0x077F, Script.ARABIC),  # Arabic Supplement
    (0x0870, 0x08FF, Script.ARABIC),  # Arabic Extended-A and -B
    (0x1100, 0x11FF, Script.HANGUL),  # Hangul Jamo
    (0x2E80, 0x2FDF, Script.HAN),  # CJK and Kangxi radicals
    (0x3005, 0x3007, Script.HAN),  # 々, 〆, 〇
    (0x3040, 0x30FF, Script.KANA),
    (0x3130, 0x318F, Script.HANGUL),  # Hangul Compatibility Jamo
    (0x31F0, 0x31FF, Script.KANA),  # Katakana Phonetic Extensions
    (0x3400, 0x4DBF, Script.HAN),  # Extension A
    (0x4E00, 0x9FFF, Script.HAN),
    (0xA960, 0xA97F, Script.HANGUL),  # Jamo Extended-A
    (0xAC00, 0xD7FF, Script.HANGUL),  # syllables and Jamo Extended-B
    (0xF900, 0xFAFF, Script.HAN),  # compatibility ideographs
    (0xFB1D, 0xFB4F, Script.HEBREW),  # presentation forms
    (0xFB50, 0xFDFF, Script.ARABIC),  # presentation forms A
    (0xFE70, 0xFEFF, Script.ARABIC),  # presentation forms B
    (0xFF66, 0xFF9F, Script.KANA),  # half-width katakana
    (0x20000, 0x3FFFF, Script.HAN),  # extensions B and later
)
# The first of these present in a text is its main script: right-to-left scripts first
# (only their own faces carry them), then the CJK ones (whose faces carry Latin as well).
SCRIPT_PRIORITY = (Script.ARABIC, Script.HEBREW, Script.HANGUL, Script.KANA, Script.HAN)
MAIN_FACES = {
    Script.ARABIC: Face.NOTO_SANS_ARABIC,
    Script.HEBREW: Face.HEEBO,
    Script.HANGUL: Face.CJK_KR,
    Script.KANA: Face.CJK_JP,
    Script.OTHER: Face.NOTO_SANS,
}
# Faces tried, in order, when the main script's face lacks a character of the text.
FALLBACK_FACES = (Face.NOTO_SANS, Face.HEEBO, Face.NOTO_SANS_ARABIC, Face.CJK_SC)


@functools.lru_cache(maxsize=8192)  # alerts reuse few characters; the scan is slow
def script_of(char: str) -> Script:
    """The script of one character (Script.OTHER for Latin, digits and punctuation)."""
    codepoint = ord(char)
    return next(
        (script for first, last, script in SCRIPT_RANGES if first <= codepoint <= last),
        Script.OTHER,
    )


def detect_script(text: str) -> Script:
    """The main script of ``text``: the first of SCRIPT_PRIORITY in it, else OTHER."""
    present = {script_of(char) for char in text}
    return next((script for script in SCRIPT_PRIORITY if script in present), Script.OTHER)


def cjk_face_for_language(language: str | None) -> Face:
    """The CJK face for Han text by the language tag; Simplified Chinese without one."""
    subtags = [part.lower() for part in (language or "").replace("_", "-").split("-")]
    if subtags[0] == "ko":
        return Face.CJK_KR
    if subtags[0] == "ja":
        return Face.CJK_JP
    if subtags[0] == "yue" or "hk" in subtags or "mo" in subtags:
        return Face.CJK_HK
    if subtags[0] == "zh" and ("tw" in subtags or "hant" in subtags):
        return Face.CJK_TC
    return Face.CJK_SC


def choose_face(text: str, language: str | None) -> Face:
    """The one face that draws ``text`` (the rule is in the module docstring)."""
    script = detect_script(text)
    preferred = cjk_face_for_language(language) if script is Script.HAN else MAIN_FACES[script]
    candidates = [preferred, *(face for face in FALLBACK_FACES if face is not preferred)]
    missing: list[int] = []
    for face in candidates:
        missing.append(len(missing_characters(face, text)))
        if missing[-1] == 0:
            return face
    # min() keeps the first of equals, so the preferred face wins every tie.
    return candidates[min(range(len(candidates)), key=missing.__getitem__)]
