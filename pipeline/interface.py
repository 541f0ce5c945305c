"""The contract between the daemon and the pipeline. No torch here, on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

METHODS = ("masked-sampling", "cinemagraph")


@dataclass(frozen=True, slots=True)
class CardText:
    """The alert's own words, for the alert card (``pipeline.card``): the generative
    pipeline draws the hazard only, the card writes these in the alert's language."""

    event: str = ""
    headline: str = ""
    area: str = ""
    expires: datetime | None = None  # timezone-aware; shown in the alert's own offset
    severity: str = "Unknown"  # CAP severity; picks the card's colours
    language: str = "en"  # CAP language tag of these words (picks fonts and labels)


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """What to draw. ``alert_text`` (headline or event) only feeds the alt text; ``card``
    carries what an alert card writes (the generative pipeline ignores it)."""

    hazard: str
    language: str = "en"
    method: str = "cinemagraph"
    seed: int = 0
    alert_text: str = ""
    card: CardText | None = None


@dataclass(frozen=True, slots=True)
class MediaFile:
    """One encoded file. ``format`` is one of gif, webp, mp4, png."""

    format: str
    content_type: str
    data: bytes
    width: int
    height: int
    frames: int
    fps: float


@dataclass(frozen=True, slots=True)
class RenderResult:
    media: tuple[MediaFile, ...]  # the animations (gif, webp, mp4)
    poster: MediaFile  # a still PNG
    alt_text: str
    prompt: str
    negative_prompt: str
    clip_score: float
    candidate_scores: tuple[float, ...]
    timings_ms: dict[str, float]  # per stage, plus "total"
    models: dict[str, str]  # role -> model name or id
    extra: dict[str, object] = field(default_factory=dict)
    # What moves: {"method", "coverage", "segmented_coverage", "fallback"} (pipeline/mask.py);
    # None for media without a segmentation mask (alert cards).
    mask: dict[str, object] | None = None


class RenderError(RuntimeError):
    """A render that could not produce media; ``reason`` is short and machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class Renderer(Protocol):
    """Renders one request at a time; must be safe to call from a worker thread."""

    @property
    def profile(self) -> str:
        """``tiny`` or ``full``: part of the cache key."""
        ...

    def warm_up(self) -> None:
        """Load every model and run one small pass, so the first real render is fast."""
        ...

    def render(self, request: RenderRequest) -> RenderResult:
        """Run the stages end to end. Raises `RenderError` on failure."""
        ...
