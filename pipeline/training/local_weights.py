"""Find a model's files on disk — a local directory or the Hugging Face hub cache — and
never download: training and evaluation run where no hub is reachable, and a missing file
must be named, not papered over by a half-initialised model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import huggingface_hub

from pipeline.config import config_from_env
from pipeline.full_models import hub_cache_dir


class MissingFilesError(RuntimeError):
    """Files a model needs are absent; the message lists every one and where it looked."""

    def __init__(self, what: str, source: str, missing: Sequence[str], searched: str) -> None:
        super().__init__(
            f"{what} {source!r} cannot be loaded; missing files ({searched}): {', '.join(missing)}"
        )
        self.missing = list(missing)


def cache_dir() -> Path:
    """The hub cache searched for hub ids: `CINEALERT_MODEL_CACHE_DIR` if set, else the
    hub's default, as the render profile uses."""
    return hub_cache_dir(config_from_env())


def locate(what: str, source: str, required: Sequence[Sequence[str]]) -> Path:
    """The directory holding every required file of ``source`` (a directory or a hub id
    in the cache). Each entry of ``required`` lists alternatives; one must exist."""
    directory = Path(source)
    hub = cache_dir()
    if not directory.is_dir() and (source.startswith((".", "/", "~")) or source.count("/") > 1):
        raise MissingFilesError(what, source, ["the directory itself"], "no such directory")
    missing: list[str] = []
    root: Path | None = directory if directory.is_dir() else None
    for alternatives in required:
        found = None
        for name in alternatives:
            if directory.is_dir():
                found = directory / name if (directory / name).is_file() else None
            else:
                try:
                    cached = huggingface_hub.try_to_load_from_cache(source, name, cache_dir=hub)
                except ValueError as error:  # not a valid hub id either
                    raise MissingFilesError(
                        what, source, [name], f"not a hub id: {error}"
                    ) from None
                found = Path(cached) if isinstance(cached, str) else None
                if found is not None and root is None:
                    root = found.parents[len(Path(name).parts) - 1]
            if found is not None:
                break
        if found is None:
            missing.append(" or ".join(alternatives))
    searched = f"directory {directory}" if directory.is_dir() else f"hub cache {hub}"
    if missing or root is None:
        raise MissingFilesError(what, source, missing or ["the model directory"], searched)
    return root
