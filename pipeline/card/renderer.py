"""``CardRenderer``: the alert card as a ``pipeline.interface.Renderer``.

No model, no GPU, no network: warm-up loads fonts, a render draws the frames
(``pipeline.card.compose``) and encodes them like the generative pipeline does (GIF,
WebP, MP4, PNG poster), so the daemon publishes a card exactly like a render.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pipeline.alt_text import HAZARD_PHRASES, MAX_ALERT_CHARS, primary_language, shorten
from pipeline.card.compose import CARD_FPS, CARD_FRAMES, CARD_SIZE, card_frames, warm_fonts
from pipeline.card.content import expiry_line
from pipeline.card.palette import colours_for
from pipeline.encode import encode_media, encode_poster
from pipeline.interface import CardText, RenderError, RenderRequest, RenderResult

PROFILE = "card"
CARD_MODEL = "cinealert-card/1"
# The poster is the frame where the motion is most visible: half-way through the loop.
POSTER_FRAME = CARD_FRAMES // 2
MAX_AREA_CHARS = 160

StageCallback = Callable[[str, float], None]


class CardRenderer:
    """Draws and encodes alert cards; safe to call from several threads (no shared state
    but the font cache, which only ever grows)."""

    def __init__(
        self,
        size: int = CARD_SIZE,
        frames: int = CARD_FRAMES,
        fps: float = CARD_FPS,
        on_stage: StageCallback | None = None,
    ) -> None:
        if size < 128 or size % 8:
            raise ValueError(f"card size must be a multiple of 8 of at least 128, got {size}")
        if frames < 2:
            raise ValueError(f"a card needs at least 2 frames, got {frames}")
        self.size = size
        self.frames = frames
        self.fps = fps
        self.on_stage = on_stage

    @property
    def profile(self) -> str:
        return PROFILE

    def warm_up(self) -> None:
        """Load the fonts (the only slow first step); raises if a font package is missing."""
        try:
            warm_fonts()
        except (ImportError, OSError) as error:
            raise RenderError("card-fonts-missing", str(error)) from error

    def render(self, request: RenderRequest) -> RenderResult:
        text = request.card or CardText(language=request.language, event=request.alert_text)
        timings: dict[str, float] = {}
        started = time.perf_counter()

        def stage(name: str, since: float) -> float:
            now = time.perf_counter()
            timings[name] = (now - since) * 1000.0
            if self.on_stage is not None:
                self.on_stage(name, timings[name])
            return now

        try:
            frames = card_frames(request.hazard, text, self.size, self.frames)
        except ValueError as error:
            raise RenderError("card-failed", str(error)) from error
        mark = stage("draw", started)
        media = encode_media(frames, self.fps)
        poster = encode_poster(frames[POSTER_FRAME % len(frames)])
        mark = stage("encode", mark)
        description = card_alt_text(request.hazard, text)
        stage("alt_text", mark)
        timings["total"] = (time.perf_counter() - started) * 1000.0
        return RenderResult(
            media=media,
            poster=poster,
            alt_text=description,
            prompt="",
            negative_prompt="",
            clip_score=0.0,
            candidate_scores=(),
            timings_ms=timings,
            models={"card": CARD_MODEL},
            extra={"kind": "card", "severity": text.severity, "language": text.language},
        )


def card_alt_text(hazard: str, text: CardText) -> str:
    """Alt text of a card: what the pictogram shows, then the alert's own words (headline
    or event), area and expiry. English, or Korean for Korean alerts, like the render's
    alt text (``pipeline.alt_text``); the alert's words stay in their language."""
    english, korean = HAZARD_PHRASES.get(hazard, ("a warning sign", "경고 표시"))
    words = shorten(text.headline or text.event, MAX_ALERT_CHARS)
    area = shorten(text.area, MAX_AREA_CHARS)
    until = expiry_line(text.expires, text.language)
    if primary_language(text.language) == "ko":
        parts = [f"움직이는 경보 카드: {korean}.", f"경보: {words}" if words else ""]
    else:
        colours = colours_for(text.severity)
        parts = [
            f"Animated alert card, {colours.name} for severity {text.severity}: {english}.",
            f"Alert: {words}" if words else "",
        ]
    return " ".join(part for part in (*parts, area, until) if part)
