"""The alert card's text: real alert strings in nine languages, laid out and drawn.

Every check renders onto a real 512x512 image: the ink stays in its box, every character
has a glyph in the chosen face (no tofu), Arabic is shaped and Arabic and Hebrew read
from the right, long text wraps and very long text ends in an ellipsis, Chinese and
Japanese lines never start with closing punctuation, and renders are reproducible.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from pipeline.card import fonts
from pipeline.card.fonts import (
    Face,
    FontMissingError,
    choose_face,
    covered_codepoints,
    font_file,
    load_font,
    missing_characters,
    needs_glyph,
)
from pipeline.card.line_breaking import ELLIPSIS, NO_LINE_END, NO_LINE_START
from pipeline.card.text_layout import Align, Box, TextLayout, draw_text, layout_text

CANVAS = 512
BACKGROUND = (20, 40, 90)
INK = (255, 255, 255)
# The headline box of a card: 460 x 200 with its top-left corner at (26, 290).
BOX_ORIGIN = (26, 290)
BOX_WIDTH, BOX_HEIGHT = 460, 200
SIZES = {"max_size": 48, "min_size": 20, "max_lines": 4}

# (CAP language tag, alert text, face expected to draw it)
SAMPLES = [
    (
        "en-US",
        "Flash Flood Warning: move to higher ground now, do not drive through water",
        Face.NOTO_SANS,
    ),
    (
        "de-DE",
        "Unwetterwarnung: Überflutungen möglich, Keller meiden, Straßen gesperrt",
        Face.NOTO_SANS,
    ),
    ("ru-RU", "Штормовое предупреждение: сильный ветер", Face.NOTO_SANS),
    ("ar", "تحذير من فيضانات مفاجئة في المنطقة", Face.NOTO_SANS_ARABIC),
    ("he", "אזהרת שיטפונות באזור הדרום", Face.HEEBO),
    (
        "ko-KR",
        "[행정안전부] 오늘 14시 호우경보 발령. 산사태·급류 위험지역 접근 금지, "
        "안전한 곳으로 대피하세요",
        Face.CJK_KR,
    ),
    ("ja-JP", "大雨特別警報 土砂災害に厳重警戒してください", Face.CJK_JP),
    ("zh-CN", "暴雨红色预警：请立即转移到安全地带", Face.CJK_SC),
    ("zh-TW", "豪雨特報：山區請嚴防坍方、落石及土石流，民眾應避免進入山區", Face.CJK_TC),
]
SAMPLE_IDS = [language for language, _text, _face in SAMPLES]
ARABIC = "تحذير من فيضانات مفاجئة في المنطقة"
HEBREW = "אזהרת שיטפונות באזור הדרום"


def render(layout: TextLayout, *, align: Align = "start") -> tuple[Image.Image, Box]:
    image = Image.new("RGB", (CANVAS, CANVAS), BACKGROUND)
    drawn = draw_text(image, layout, BOX_ORIGIN, BOX_WIDTH, INK, align=align)
    return image, drawn


def ink_box(image: Image.Image) -> Box | None:
    """The bounding box of every pixel that differs from the background."""
    pixels = np.asarray(image).astype(int)
    changed = np.abs(pixels - np.array(BACKGROUND)).sum(axis=2) > 0
    rows, columns = np.nonzero(changed)
    if rows.size == 0:
        return None
    return (int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1)


def contains(outer: tuple[int, ...], inner: tuple[int, ...]) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


@pytest.mark.parametrize(("language", "text", "face"), SAMPLES, ids=SAMPLE_IDS)
def test_each_language_is_drawn_inside_its_box(language: str, text: str, face: Face) -> None:
    layout = layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES)
    assert layout.face is face
    assert layout.lines and not layout.truncated
    assert 20 <= layout.font_size <= 48 and len(layout.lines) <= 4
    for line_box in layout.line_boxes:
        assert contains((0, 0, BOX_WIDTH, BOX_HEIGHT), line_box), (line_box, layout.lines)
    image, drawn = render(layout)
    box = (*BOX_ORIGIN, BOX_ORIGIN[0] + BOX_WIDTH, BOX_ORIGIN[1] + BOX_HEIGHT)
    assert contains(box, drawn) and contains((0, 0, CANVAS, CANVAS), drawn)
    ink = ink_box(image)
    assert ink is not None and contains(drawn, ink), (ink, drawn)
    # Every word arrives, in order (only spaces may become line breaks).
    assert "".join(layout.lines).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize(("language", "text", "face"), SAMPLES, ids=SAMPLE_IDS)
def test_every_character_has_a_glyph(language: str, text: str, face: Face) -> None:
    layout = layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES)
    covered = covered_codepoints(layout.face)
    assert [char for char in text if needs_glyph(char) and ord(char) not in covered] == []
    # Independently of the cmap reader: no character draws as the .notdef box.
    font = ImageFont.truetype(str(font_file(layout.face)), 32, index=layout.face.index)
    tofu = bytes(font.getmask("\U0010fffd"))  # a private-use code point: no font has it
    for char in {char for char in text if not char.isspace()}:
        assert bytes(font.getmask(char)) != tofu, f"{char!r} draws as tofu in {layout.face}"


def test_face_choice_follows_script_and_language() -> None:
    assert choose_face("오늘 14시 호우경보 M5.2 KMA", "ko") is Face.CJK_KR
    assert choose_face("大雨警報", None) is Face.CJK_SC  # Han without a tag
    assert choose_face("大雨警報", "zh-TW") is Face.CJK_TC
    assert choose_face("大雨警報", "zh-Hant") is Face.CJK_TC
    assert choose_face("大雨警報", "zh-HK") is Face.CJK_HK
    assert choose_face("大雨警報", "ja") is Face.CJK_JP
    assert choose_face("大雨警報", "ko") is Face.CJK_KR
    assert choose_face("大雨に警戒", None) is Face.CJK_JP  # kana
    assert choose_face("Сильный ветер", "ru") is Face.NOTO_SANS
    assert choose_face("Σεισμός 5.1", "el") is Face.NOTO_SANS
    # Mixed Arabic and Latin stays in one face that covers both.
    mixed = "تحذير NWS: فيضانات حتى 18:00"
    assert choose_face(mixed, "ar") is Face.NOTO_SANS_ARABIC
    assert missing_characters(Face.NOTO_SANS_ARABIC, mixed) == []
    # Cyrillic in a Hebrew alert: Heebo lacks it, and Noto Sans lacks Hebrew; the face
    # that misses fewer characters wins.
    assert choose_face("אזהרה Внимание тревога", "he") is Face.NOTO_SANS


def test_arabic_is_shaped_and_right_aligned() -> None:
    word = "فيضانات"
    shaped = load_font(Face.NOTO_SANS_ARABIC, 48)
    basic = ImageFont.truetype(
        str(font_file(Face.NOTO_SANS_ARABIC)), 48, layout_engine=ImageFont.Layout.BASIC
    )
    isolated = sum(shaped.getlength(letter, direction="rtl") for letter in word)
    assert abs(shaped.getlength(word, direction="rtl", language="ar") - isolated) > 2
    assert shaped.getmask(word, direction="rtl").getbbox() != basic.getmask(word).getbbox()

    layout = layout_text(ARABIC, "ar", BOX_WIDTH, BOX_HEIGHT, **SIZES)
    assert layout.direction == "rtl" and len(layout.lines) >= 2
    image, drawn = render(layout)
    right_edge = BOX_ORIGIN[0] + BOX_WIDTH
    ink = ink_box(image)
    assert ink is not None and right_edge - 4 <= ink[2] <= right_edge
    assert drawn[0] > BOX_ORIGIN[0] + 20  # the lines are shorter than the box: slack left
    for line_box in layout.line_boxes:
        assert line_box[2] == BOX_WIDTH  # every line ends at the right edge


@pytest.mark.parametrize(("language", "text"), [("ar", ARABIC), ("he", HEBREW)])
def test_right_to_left_lines_read_from_the_right(language: str, text: str) -> None:
    """The line's first word is drawn at its right end: drawn alone, right-aligned, it
    covers the same pixels as in the whole line."""
    layout = layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES)
    first_word = layout.lines[0].split(" ")[0]
    left, top, right, bottom = layout.font.getbbox(first_word, anchor="ls", direction="rtl")
    extent = (int(left), int(top), int(right), int(bottom))
    alone = dataclasses.replace(layout, lines=(first_word,), line_extents=(extent,))
    background = sum(BACKGROUND)
    whole = np.asarray(render(layout)[0]).sum(axis=2) > background  # any ink
    word = np.asarray(render(alone)[0]).sum(axis=2) > 600  # the word's solid ink
    first_row = slice(BOX_ORIGIN[1], BOX_ORIGIN[1] + layout.ascent + layout.line_height // 2)
    whole, word = whole[first_row], word[first_row]
    overlap = (whole & word).sum() / word.sum()
    assert overlap > 0.93, overlap  # edges move by a fraction of a pixel
    # Drawn at the line's left end instead, the word would not match.
    line_left = layout.line_boxes[0][0] - (BOX_WIDTH - extent[2] + extent[0])
    mirrored = np.roll(word, line_left, axis=1)
    mismatch = (whole & mirrored).sum() / word.sum()
    assert mismatch < 0.6


def test_long_text_wraps_and_very_long_text_ends_in_an_ellipsis() -> None:
    headline = "Severe Thunderstorm Warning for the northern districts until 18:00 today"
    wrapped = layout_text(headline, "en", 300, 200, max_size=40, min_size=16, max_lines=4)
    assert len(wrapped.lines) >= 2 and not wrapped.truncated
    assert " ".join(wrapped.lines) == headline

    for language, text in [
        ("en", "Evacuate the coastal zone immediately. " * 20),
        ("ko", "해안가 주민은 즉시 높은 곳으로 대피하세요. " * 20),
        ("ja", "沿岸部の方は直ちに高台へ避難してください。" * 20),
        ("ar", "يرجى إخلاء المنطقة الساحلية فورا. " * 20),
    ]:
        layout = layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES)
        assert layout.truncated and layout.font_size == 20, language
        assert len(layout.lines) == 4 and layout.lines[-1].endswith(ELLIPSIS)
        assert all(ELLIPSIS not in line for line in layout.lines[:-1])
        if language != "ja":  # space-separated text is cut after a whole word
            assert layout.lines[-1][:-1].split(" ")[-1] in text.split(" ")
        image, drawn = render(layout)
        ink = ink_box(image)
        assert ink is not None and contains(drawn, ink)
        assert all(contains((0, 0, BOX_WIDTH, BOX_HEIGHT), box) for box in layout.line_boxes)


# Words from the samples (Chinese and Japanese ones joined without spaces), mixed freely.
WORDS = {
    language: list(text) if face in (Face.CJK_JP, Face.CJK_SC, Face.CJK_TC) else text.split()
    for language, text, face in SAMPLES
}


@settings(max_examples=60, deadline=None)
@given(
    language=st.sampled_from(sorted(WORDS)),
    picks=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40),
    width=st.integers(min_value=90, max_value=500),
    height=st.integers(min_value=60, max_value=300),
    max_lines=st.integers(min_value=1, max_value=6),
)
def test_any_text_stays_inside_any_box(
    language: str, picks: list[int], width: int, height: int, max_lines: int
) -> None:
    words = WORDS[language]
    joiner = "" if language.startswith(("ja", "zh")) else " "
    text = joiner.join(words[pick % len(words)] for pick in picks)
    layout = layout_text(
        text, language, width, height, max_size=48, min_size=14, max_lines=max_lines
    )
    assert 1 <= len(layout.lines) <= max_lines
    assert all(contains((0, 0, width, height), box) for box in layout.line_boxes), layout
    if not layout.truncated:
        assert "".join(layout.lines).replace(" ", "") == text.replace(" ", "")


def test_a_word_wider_than_the_box_is_broken_between_characters() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitänswitwe"
    layout = layout_text(word, "de", 200, 200, max_size=40, min_size=24, max_lines=4)
    assert len(layout.lines) >= 2 and "".join(layout.lines) == word
    assert all(box[0] >= 0 and box[2] <= 200 for box in layout.line_boxes)


JAPANESE = "気象庁は、「大雨特別警報」を発表しました。直ちに命を守る行動をとってください。"
CHINESE = "暴雨红色预警：请立即转移到安全地带，远离河道、山洪沟和地质灾害隐患点。"


@pytest.mark.parametrize(("language", "text"), [("ja", JAPANESE), ("zh-CN", CHINESE)])
@pytest.mark.parametrize("width", range(120, 461, 17))
def test_cjk_lines_never_start_with_closing_punctuation(
    language: str, text: str, width: int
) -> None:
    layout = layout_text(text, language, width, 400, max_size=36, min_size=24, max_lines=8)
    assert "".join(layout.lines) == text
    for line in layout.lines:
        assert line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END, layout.lines
        assert all(box[2] <= width for box in layout.line_boxes)


def test_cjk_breaks_between_characters_but_keeps_numbers_whole() -> None:
    text = "東京都で14時30分に震度5強を観測しました"
    layout = layout_text(text, "ja", 180, 300, max_size=30, min_size=30, max_lines=8)
    assert len(layout.lines) >= 3  # no spaces, yet it wraps
    assert not any(line.startswith(("4", "0", "30")) for line in layout.lines)


def test_renders_are_deterministic() -> None:
    for language, text, _face in SAMPLES:
        first = render(layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES))
        second = render(layout_text(text, language, BOX_WIDTH, BOX_HEIGHT, **SIZES))
        assert first[1] == second[1]
        assert first[0].tobytes() == second[0].tobytes(), language


def test_centred_lines_sit_in_the_middle() -> None:
    layout = layout_text("Tornado Warning", "en", BOX_WIDTH, BOX_HEIGHT, **SIZES)
    _image, drawn = render(layout, align="center")
    middle = BOX_ORIGIN[0] + BOX_WIDTH / 2
    assert abs((drawn[0] + drawn[2]) / 2 - middle) <= 1


def test_bold_is_heavier() -> None:
    regular = layout_text(
        "Evacuate now", "en", BOX_WIDTH, 80, max_size=40, min_size=40, max_lines=1
    )
    bold = layout_text(
        "Evacuate now", "en", BOX_WIDTH, 80, max_size=40, min_size=40, max_lines=1, bold=True
    )
    ink = [np.asarray(render(layout)[0], dtype=int) - BACKGROUND for layout in (regular, bold)]
    assert ink[1].sum() > ink[0].sum() * 1.2


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_has_no_lines(text: str) -> None:
    layout = layout_text(text, "en", BOX_WIDTH, BOX_HEIGHT, **SIZES)
    assert layout.lines == () and layout.line_boxes == () and layout.bounds is None
    image, drawn = render(layout)
    assert drawn == (*BOX_ORIGIN, *BOX_ORIGIN) and ink_box(image) is None


def test_odd_language_tags_and_newlines_are_harmless() -> None:
    layout = layout_text("Flood\nwarning\n\nnow", "not a tag!", BOX_WIDTH, BOX_HEIGHT, **SIZES)
    assert layout.language is None and " ".join(layout.lines) == "Flood warning now"


def test_a_box_too_small_for_one_line_is_refused() -> None:
    with pytest.raises(ValueError, match="not even one line"):
        layout_text("Flood warning", "en", BOX_WIDTH, 10, max_size=40, min_size=20, max_lines=2)
    with pytest.raises(ValueError, match="min_size"):
        layout_text("Flood", "en", BOX_WIDTH, BOX_HEIGHT, max_size=10, min_size=20, max_lines=2)


def test_a_missing_font_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_module(name: str) -> None:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(fonts.importlib, "import_module", no_such_module)
    with pytest.raises(FontMissingError, match="fontpkg-heebo"):
        font_file.__wrapped__(Face.HEEBO)


def test_fonts_are_loaded_once_per_size_and_weight() -> None:
    assert load_font(Face.NOTO_SANS, 30) is load_font(Face.NOTO_SANS, 30)
    bold = load_font(Face.NOTO_SANS, 30, bold=True)
    assert bold is not load_font(Face.NOTO_SANS, 30)
    assert bytes(bold.getmask("W")) != bytes(load_font(Face.NOTO_SANS, 30).getmask("W"))
