"""Alt text: a short description of the animation for screen readers.

Written in English or Korean (the papers' two audiences); any other alert language gets
the English text, because a wrong machine translation is worse than a clear English
sentence, and the alert's own words are quoted in its language either way. The
text-to-image prompt is English, so it is only quoted in the English text.
"""

from __future__ import annotations

import re

from cap.taxonomy import load_taxonomy

# Screen readers read alt text in one go; keep it to a couple of sentences.
MAX_ALERT_CHARS = 120
MAX_SCENE_CHARS = 140
ELLIPSIS = "…"

# What the animation shows, per hazard: (English, Korean).
HAZARD_PHRASES: dict[str, tuple[str, str]] = {
    "flood": ("floodwater flowing and rising", "불어난 물이 흘러넘치는 홍수"),
    "landslide": (
        "mud and rocks sliding down a slope",
        "흙과 바위가 비탈을 따라 무너져 내리는 산사태",
    ),
    "drought": ("cracked, dry land under shimmering heat", "땅이 갈라지고 메마른 가뭄"),
    "wildfire": (
        "flames and smoke rising from a burning forest",
        "숲에서 불길과 연기가 치솟는 산불",
    ),
    "heavy_snow": ("heavy snow falling", "함박눈이 쏟아지는 대설"),
    "typhoon": (
        "clouds swirling in strong wind and rain",
        "거센 비바람 속에 구름이 소용돌이치는 태풍",
    ),
    "earthquake": ("the ground shaking", "땅이 흔들리는 지진"),
    "heavy_rain": ("heavy rain pouring down", "비가 세차게 쏟아지는 호우"),
    "storm": ("dark storm clouds and gusting wind", "먹구름과 거센 바람이 몰아치는 폭풍"),
    "tornado": ("a tornado funnel spinning", "깔때기 모양으로 회오리치는 토네이도"),
    "tsunami": ("a huge wave surging toward the shore", "해안으로 밀려드는 거대한 지진해일"),
    "heat": ("heat shimmering over a sunlit scene", "뜨거운 열기가 아른거리는 폭염"),
    "cold": ("frost and icy cold air", "서리가 내리고 얼어붙은 한파"),
    "fire": (
        "flames and smoke rising from a burning building",
        "건물에서 불길과 연기가 치솟는 화재",
    ),
}

_SPACES = re.compile(r"\s+")


def alt_text(hazard: str, language: str, alert_text: str, prompt: str) -> str:
    """A one- to three-sentence description of the animation for ``hazard``.

    ``language`` is a CAP language tag ("ko", "ko-KR", "en-US"; empty means English, as
    CAP's default is en-US). ``alert_text`` (the headline or event) is quoted when given;
    ``prompt`` describes the drawn scene and is quoted in the English text.
    """
    spec = load_taxonomy().get(hazard)  # raises UnknownHazardError naming the hazard
    if not spec.renderable or hazard not in HAZARD_PHRASES:
        raise ValueError(f"hazard {hazard!r} has no animation to describe")
    english, korean = HAZARD_PHRASES[hazard]
    alert = shorten(alert_text, MAX_ALERT_CHARS)
    if primary_language(language) == "ko":
        sentences = [f"움직이는 경고 그림: {korean}."]
        if alert:
            sentences.append(f"경보: {alert}")
        return " ".join(sentences)
    sentences = [f"Animated warning image: {english}."]
    if alert:
        sentences.append(f"Alert: {alert}")
    scene = shorten(prompt, MAX_SCENE_CHARS)
    if scene:
        sentences.append(f"Scene: {scene}")
    return " ".join(sentences)


def primary_language(tag: str) -> str:
    """The primary subtag of a language tag, lower-cased ("ko-KR" -> "ko"; "" -> "en")."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary or "en"


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace, cut at a word boundary within ``limit`` chars, end with a stop."""
    flat = _SPACES.sub(" ", text).strip()
    if not flat:
        return ""
    if len(flat) > limit:
        cut = flat[: limit - 1]
        # Cut at the last space when there is one; CJK text has none, so cut mid-run.
        if " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        return cut.rstrip(" ,;:.") + ELLIPSIS
    return flat if flat[-1] in ".!?。" else flat + "."
