"""A small deterministic renderer for daemon tests: solid-colour frames per hazard.

It can be told to sleep, to fail for some hazards, or to block on an event until a
test releases it (to let the queue fill first). It records every request it got.
``build(settings)`` is the `CINEALERT_RENDERER` plug-in used by daemon subprocess tests;
it reads ``FAKE_RENDER_DELAY_S`` and ``FAKE_RENDER_FAIL`` (comma-separated hazards).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Iterable

from PIL import Image

from pipeline.interface import MediaFile, RenderError, RenderRequest, RenderResult

SIZE = 16
FRAMES = 3
FPS = 4.0


def _colour(hazard: str, seed: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(f"{hazard}:{seed}".encode()).digest()
    return digest[0], digest[1], digest[2]


class FakeRenderer:
    """Implements `pipeline.interface.Renderer` with tiny solid-colour GIF/PNG media."""

    def __init__(
        self,
        delay_s: float = 0.0,
        fail_hazards: Iterable[str] = (),
        gate: threading.Event | None = None,
        profile: str = "tiny",
        warm_up_error: Exception | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.fail_hazards = frozenset(fail_hazards)
        self.gate = gate
        self._profile = profile
        self.requests: list[RenderRequest] = []
        self.warmed = False
        self.warm_up_error = warm_up_error
        self._lock = threading.Lock()

    @property
    def profile(self) -> str:
        return self._profile

    def warm_up(self) -> None:
        if self.warm_up_error is not None:
            raise self.warm_up_error
        self.warmed = True

    def render(self, request: RenderRequest) -> RenderResult:
        with self._lock:
            self.requests.append(request)
        if self.gate is not None:
            self.gate.wait()
        if self.delay_s:
            time.sleep(self.delay_s)
        if request.hazard in self.fail_hazards:
            raise RenderError("fake-failure", f"told to fail for {request.hazard}")
        colour = _colour(request.hazard, request.seed)
        frames = [
            Image.new("RGB", (SIZE, SIZE), tuple(min(255, c + i * 20) for c in colour))
            for i in range(FRAMES)
        ]
        gif = io.BytesIO()
        frames[0].save(
            gif,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=int(1000 / FPS),
            loop=0,
        )
        png = io.BytesIO()
        frames[0].save(png, format="PNG")
        return RenderResult(
            media=(MediaFile("gif", "image/gif", gif.getvalue(), SIZE, SIZE, FRAMES, FPS),),
            poster=MediaFile("png", "image/png", png.getvalue(), SIZE, SIZE, 1, FPS),
            alt_text=f"{request.hazard} scene",
            prompt=f"a {request.hazard} scene, no people",
            negative_prompt="people",
            clip_score=25.0,
            candidate_scores=(25.0,),
            timings_ms={"paint": 1.0, "total": 1.0},
            models={"t2i": "fake"},
        )

    def hazards_rendered(self) -> list[str]:
        """Hazards in the order their renders started."""
        with self._lock:
            return [request.hazard for request in self.requests]


def build(settings: object) -> FakeRenderer:
    """`CINEALERT_RENDERER` plug-in: a FakeRenderer configured from FAKE_RENDER_* variables."""
    fail = [h for h in os.environ.get("FAKE_RENDER_FAIL", "").split(",") if h]
    return FakeRenderer(
        delay_s=float(os.environ.get("FAKE_RENDER_DELAY_S", "0")), fail_hazards=fail
    )
