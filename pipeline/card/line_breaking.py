"""Where lines may break: between words, or between Chinese and Japanese characters.

Space-separated scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, and Korean, which
spaces its words) break only at spaces. Chinese and Japanese break between any two
characters under a small kinsoku rule: closing punctuation never starts a line, opening
punctuation never ends one, and Latin words and numbers inside them stay whole. As a
last resort a word wider than the line is cut between characters, never between a
character and its combining marks. No hyphenation.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from pipeline.card.fonts import Script, script_of

ELLIPSIS = "…"
# Kinsoku (Japanese line-breaking rules, usual in Chinese too): these never start a line...
NO_LINE_START = frozenset(
    "、。，．！？：；」』）】〕〉》〙〗〟｝］｠’”〜ー…‥・々ゝゞヽヾ"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.!?:;)]}%°℃"
)
# ...and these never end one.
NO_LINE_END = frozenset("「『（【〔〈《〘〖〝‘“｛［｟([{")


def break_units(text: str, script: Script) -> Iterator[tuple[str, bool]]:
    """The pieces a line may break between, each with whether a space precedes it.

    ``script`` is the text's main script (``fonts.detect_script``): Han or kana text
    breaks the Chinese and Japanese way (see the module docstring), any other at spaces.
    """
    if not text:
        return
    if breaks_at_spaces(script):
        for word in text.split(" "):
            yield word, True
        return
    units: list[tuple[str, bool]] = []  # (text, whether a space precedes it)
    space_before = False
    for char in text:
        if char == " ":
            space_before = True
            continue
        if units and char in NO_LINE_START:
            # Closing punctuation joins what precedes it, even across a space.
            previous, previous_space = units[-1]
            units[-1] = (previous + (" " if space_before else "") + char, previous_space)
        elif units and not space_before and keeps_together(units[-1][0], char):
            units[-1] = (units[-1][0] + char, units[-1][1])
        else:
            units.append((char, space_before))
        space_before = False
    yield from units


def breaks_at_spaces(script: Script) -> bool:
    """Whether text whose main script is ``script`` breaks only at spaces."""
    return script not in (Script.HAN, Script.KANA)


def keeps_together(before: str, char: str) -> bool:
    """Whether no line may break between the text ``before`` and the next ``char``."""
    if before[-1] in NO_LINE_END:
        return True
    # Latin words and numbers inside CJK text ("14時", "M6.5") stay whole.
    return is_word_character(before[-1]) and is_word_character(char)


def is_word_character(char: str) -> bool:
    return script_of(char) is Script.OTHER and (char.isalnum() or char in ".,:%")


def break_by_characters(word: str, fits: Callable[[str], bool]) -> list[str]:
    """``word`` cut into pieces that each fit (a lone character is kept even if not)."""
    pieces: list[str] = []
    current = ""
    for cluster in clusters(word):
        if current and not fits(current + cluster):
            pieces.append(current)
            current = cluster
        else:
            current += cluster
    return [*pieces, current]


def clusters(text: str) -> Iterator[str]:
    """Characters with their combining marks, so a cut never strands a vowel sign."""
    current = ""
    for char in text:
        if current and not is_combining(char):
            yield current
            current = ""
        current += char
    if current:
        yield current


def is_combining(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc") or char in "\u200c\u200d"


def drop_last_character(text: str) -> str:
    """``text`` without its last character and that character's combining marks."""
    end = len(text)
    while end > 0 and is_combining(text[end - 1]):
        end -= 1
    return text[: max(0, end - 1)]


def cut_before_ellipsis(line: str, fits: Callable[[str], bool], *, at_spaces: bool) -> str:
    """The longest start of ``line`` that ``fits`` with an ellipsis after it, and the
    ellipsis. Space-separated text loses whole words while more than one is left: a cut
    word reads wrong, and in Arabic its last letter would also change its joined form."""
    kept = line.rstrip(" ")
    while kept and not fits(kept + ELLIPSIS):
        if at_spaces and " " in kept:
            kept = kept.rsplit(" ", 1)[0].rstrip(" ")
        else:
            kept = drop_last_character(kept).rstrip(" ")
    return kept + ELLIPSIS
