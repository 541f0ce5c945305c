"""`cinealert dataset caption`: one JSON line per image of a photo folder, written as it
goes so an interrupted run resumes where it stopped. Unusable images get a line too, with
the reason, so they are neither retried forever nor silently lost."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.training.captioner import Captioner
from pipeline.training.photos import (
    DEFAULT_MIN_SIDE,
    DatasetError,
    Photo,
    UnreadableImageError,
    load_rgb,
    scan_photos,
)

# BERT vocabularies carry placeholder tokens ("[unused12]") that decoding does not treat
# as special; they never belong in a caption.
_PLACEHOLDER = re.compile(r"\[[^\]\s]*\]")


@dataclass(frozen=True)
class CaptionRecord:
    """One line of captions.jsonl: a caption, or the reason the image was skipped."""

    path: str
    disaster_type: str
    caption: str | None
    model: str
    skipped: str | None = None

    def to_json(self) -> str:
        """The JSON line (no newline)."""
        return json.dumps(self.__dict__, ensure_ascii=False)


@dataclass(frozen=True)
class CaptionSummary:
    """What one run did: captioned now, skipped now, already done before."""

    captioned: int
    skipped: int
    resumed: int


def clean_caption(text: str) -> str:
    """Drop placeholder tokens and collapse whitespace."""
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


def read_records(path: Path) -> list[CaptionRecord]:
    """The records of a captions file. A torn last line (the run was killed mid-write) is
    ignored; a corrupt line anywhere else is an error naming the line."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(line)
            records.append(CaptionRecord(**data))
        except (json.JSONDecodeError, TypeError) as error:
            if number == len(lines):
                break
            raise DatasetError(f"{path}:{number}: not a caption record ({error})") from error
    return records


def _rewrite(path: Path, records: list[CaptionRecord]) -> None:
    # Drops a torn last line before appending, so the file stays one record per line.
    text = "".join(record.to_json() + "\n" for record in records)
    path.write_text(text, encoding="utf-8")


def _batches(photos: list[Photo], size: int) -> Iterator[list[Photo]]:
    for start in range(0, len(photos), size):
        yield photos[start : start + size]


def caption_folder(
    root: Path,
    out: Path,
    captioner: Captioner,
    *,
    batch_size: int = 8,
    min_side: int = DEFAULT_MIN_SIDE,
    max_new_tokens: int = 30,
    on_progress: Callable[[int, int, CaptionRecord], None] | None = None,
) -> CaptionSummary:
    """Caption every image under ``root/<type>/`` into ``out``, skipping images already
    there. Refuses to mix captioning models in one file."""
    photos = scan_photos(root)
    previous = read_records(out)
    other_models = sorted({r.model for r in previous} - {captioner.name})
    if other_models:
        raise DatasetError(
            f"{out} holds captions by {', '.join(other_models)}, not {captioner.name}; "
            "write to another file or use the same model"
        )
    done = {record.path for record in previous}
    todo = [photo for photo in photos if str(photo.path) not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    _rewrite(out, previous)
    captioned = skipped = 0
    finished = len(photos) - len(todo)
    with out.open("a", encoding="utf-8") as stream:
        for batch in _batches(todo, batch_size):
            images, readable, records = [], [], []
            for photo in batch:
                try:
                    images.append(load_rgb(photo.path, min_side))
                    readable.append(photo)
                except UnreadableImageError as error:
                    records.append(
                        CaptionRecord(
                            str(photo.path),
                            photo.disaster_type,
                            None,
                            captioner.name,
                            error.reason,
                        )
                    )
            texts = captioner.caption(images, max_new_tokens) if images else []
            for photo, text in zip(readable, texts, strict=True):
                caption = clean_caption(text)
                records.append(
                    CaptionRecord(
                        str(photo.path),
                        photo.disaster_type,
                        caption or None,
                        captioner.name,
                        None if caption else "the model wrote an empty caption",
                    )
                )
            for record in records:
                stream.write(record.to_json() + "\n")
                stream.flush()  # each finished image survives an interruption
                finished += 1
                if record.skipped:
                    skipped += 1
                else:
                    captioned += 1
                if on_progress is not None:
                    on_progress(finished, len(photos), record)
    return CaptionSummary(captioned=captioned, skipped=skipped, resumed=len(photos) - len(todo))
