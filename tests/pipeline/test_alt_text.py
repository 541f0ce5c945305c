"""Alt text for screen readers."""

from __future__ import annotations

import pytest

from cap.taxonomy import UnknownHazardError, load_taxonomy
from pipeline.alt_text import (
    HAZARD_PHRASES,
    MAX_ALERT_CHARS,
    MAX_SCENE_CHARS,
    alt_text,
    primary_language,
)

PROMPT = "A flooded city street at dusk, brown water rushing past parked cars, overcast sky"


def test_every_renderable_hazard_has_phrases() -> None:
    assert set(HAZARD_PHRASES) == set(load_taxonomy().renderable)
    for hazard in load_taxonomy().renderable:
        assert alt_text(hazard, "en", "", "")
        assert alt_text(hazard, "ko", "", "")


def test_english_mentions_hazard_alert_and_scene() -> None:
    text = alt_text("flood", "en-US", "Flash Flood Warning for Harris County", PROMPT)
    assert text == (
        "Animated warning image: floodwater flowing and rising. "
        "Alert: Flash Flood Warning for Harris County. "
        f"Scene: {PROMPT}."
    )


def test_korean_text_for_korean_alerts() -> None:
    text = alt_text("tsunami", "ko-KR", "지진해일 경보 발령", "A huge wave at a harbour")
    assert (
        text == "움직이는 경고 그림: 해안으로 밀려드는 거대한 지진해일. 경보: 지진해일 경보 발령."
    )
    assert "harbour" not in text  # the English prompt is not mixed into Korean text


def test_other_languages_fall_back_to_english_and_keep_the_alert_words() -> None:
    text = alt_text("storm", "de-DE", "Unwetterwarnung vor Orkanböen", "Dark clouds")
    assert text.startswith("Animated warning image: dark storm clouds and gusting wind.")
    assert "Alert: Unwetterwarnung vor Orkanböen." in text


def test_long_texts_are_shortened_at_word_boundaries() -> None:
    alert = "Severe weather " * 30
    prompt = "water " * 60
    text = alt_text("heavy_rain", "en", alert, prompt)
    alert_part = text.split("Alert: ", 1)[1].split(" Scene: ", 1)[0]
    scene_part = text.split("Scene: ", 1)[1]
    assert len(alert_part) <= MAX_ALERT_CHARS and alert_part.endswith("…")
    assert len(scene_part) <= MAX_SCENE_CHARS and scene_part.endswith("water…")
    assert "  " not in text and "\n" not in text


def test_empty_alert_and_prompt_are_left_out() -> None:
    assert alt_text("heat", "en", "  ", "\n") == (
        "Animated warning image: heat shimmering over a sunlit scene."
    )


def test_unknown_and_unrenderable_hazards_are_errors() -> None:
    with pytest.raises(UnknownHazardError, match="volcano"):
        alt_text("volcano", "en", "", "")
    with pytest.raises(ValueError, match="'none'"):
        alt_text("none", "en", "", "")


@pytest.mark.parametrize(
    ("tag", "primary"), [("ko-KR", "ko"), ("EN_us", "en"), ("", "en"), (" de ", "de")]
)
def test_primary_language(tag: str, primary: str) -> None:
    assert primary_language(tag) == primary
