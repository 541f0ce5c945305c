"""Runs a render's stages one by one: wall-clock milliseconds per stage, an optional probe
around each (benchmarks measure memory and FLOPs of exactly that stage), and every failure
turned into a `RenderError` that names its stage."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

from pipeline.interface import RenderError

_T = TypeVar("_T")

StageCallback = Callable[[str, float], None]
StageProbe = Callable[[str], AbstractContextManager[object]]


@dataclass
class StageTimer:
    """Per-stage wall-clock milliseconds; a failing stage is named in the `RenderError`."""

    on_stage: StageCallback | None = None
    probe: StageProbe | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, stage: str, action: Callable[[], _T]) -> _T:
        started = time.perf_counter()
        try:
            with self.probe(stage) if self.probe is not None else nullcontext():
                return action()
        except RenderError:
            raise
        except Exception as error:
            # Every failure leaves as a RenderError naming its stage; the cause is chained.
            raise RenderError(f"{stage}_failed", f"{type(error).__name__}: {error}") from error
        finally:
            self.timings[stage] = (time.perf_counter() - started) * 1000.0
            if self.on_stage is not None:
                self.on_stage(stage, self.timings[stage])
