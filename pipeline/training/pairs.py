"""`cinealert dataset metadata`: caption records to training pairs, split into train and
validation *by image* (a photo's pair never lands on both sides), plus a dataset card."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.training.captions import CaptionRecord, read_records
from pipeline.training.metadata import TEMPLATE, caption_to_metadata, instruction
from pipeline.training.photos import DatasetError, check_disaster_type, disaster_keywords

SPLITS = ("train", "validation")


@dataclass(frozen=True)
class TrainingPair:
    """One line of pairs.jsonl."""

    prompt: str
    target: str
    disaster_type: str
    image: str
    split: str


def split_of(image: str, validation_fraction: float, seed: int) -> str:
    """``validation`` for a stable pseudo-random share of images: the split depends only
    on the image's path and the seed, so adding photos never reshuffles earlier ones."""
    digest = hashlib.sha256(f"{seed}:{image}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "validation" if position < validation_fraction else "train"


def build_pairs(
    records: Sequence[CaptionRecord], validation_fraction: float = 0.1, seed: int = 0
) -> list[TrainingPair]:
    """One pair per captioned image; skipped records are left out. Each type with two or
    more images keeps at least one in each split, so validation covers every type."""
    if not 0.0 <= validation_fraction < 1.0:
        raise DatasetError(f"validation fraction {validation_fraction} must be in [0, 1)")
    usable = [record for record in records if record.caption and not record.skipped]
    if not usable:
        raise DatasetError("no captioned images: every record is skipped or the file is empty")
    pairs = []
    for record in usable:
        check_disaster_type(record.disaster_type)
        keywords = disaster_keywords(record.disaster_type)
        metadata = caption_to_metadata(record.caption or "", record.disaster_type, keywords)
        pairs.append(
            TrainingPair(
                prompt=instruction(keywords),
                target=metadata.text,
                disaster_type=record.disaster_type,
                image=record.path,
                split=split_of(record.path, validation_fraction, seed),
            )
        )
    return _balance(pairs) if validation_fraction > 0 else pairs


def _balance(pairs: list[TrainingPair]) -> list[TrainingPair]:
    # With few photos a type can hash entirely to one side; move its first image over.
    result = list(pairs)
    for disaster_type in sorted({pair.disaster_type for pair in pairs}):
        indices = [i for i, pair in enumerate(result) if pair.disaster_type == disaster_type]
        splits = {result[i].split for i in indices}
        if len(indices) >= 2 and len(splits) == 1:
            first = result[indices[0]]
            other = "train" if first.split == "validation" else "validation"
            result[indices[0]] = TrainingPair(**{**asdict(first), "split": other})
    return result


def write_pairs(pairs: Sequence[TrainingPair], out: Path) -> None:
    """pairs.jsonl, one pair per line."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(asdict(pair), ensure_ascii=False) + "\n" for pair in pairs)
    out.write_text(text, encoding="utf-8")


def read_pairs(path: Path) -> list[TrainingPair]:
    """The pairs of a pairs.jsonl file; refuses a missing, empty or malformed file."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such pairs file")
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(line)
            pair = TrainingPair(**data)
        except (json.JSONDecodeError, TypeError) as error:
            raise DatasetError(f"{path}:{number}: not a training pair ({error})") from error
        if pair.split not in SPLITS or not pair.prompt or not pair.target:
            raise DatasetError(f"{path}:{number}: needs a prompt, a target and split in {SPLITS}")
        pairs.append(pair)
    if not pairs:
        raise DatasetError(f"{path}: holds no training pairs")
    return pairs


def dataset_card(pairs: Sequence[TrainingPair], records: Sequence[CaptionRecord]) -> str:
    """A Markdown card: images per type and split, skipped images, models, template."""
    counts = Counter((pair.disaster_type, pair.split) for pair in pairs)
    skipped = Counter(record.disaster_type for record in records if record.skipped)
    types = sorted({pair.disaster_type for pair in pairs} | set(skipped))
    lines = [
        "# Metadata training set",
        "",
        f"Captioning model(s): {', '.join(sorted({r.model for r in records})) or 'n/a'}.",
        f"Pairs: {len(pairs)} ({counts_total(counts, 'train')} train, "
        f"{counts_total(counts, 'validation')} validation; split by image).",
        "",
        "| disaster type | keywords | train | validation | skipped images |",
        "|---|---|---:|---:|---:|",
    ]
    for name in types:
        lines.append(
            f"| {name} | {disaster_keywords(name)} | {counts[(name, 'train')]} | "
            f"{counts[(name, 'validation')]} | {skipped[name]} |"
        )
    lines += ["", "Target template:", "", f"    {TEMPLATE}", ""]
    return "\n".join(lines)


def counts_total(counts: Counter[tuple[str, str]], split: str) -> int:
    """Pairs in one split over all types."""
    return sum(count for (_, name), count in counts.items() if name == split)


def make_pairs_file(
    captions: Path, out: Path, validation_fraction: float = 0.1, seed: int = 0
) -> tuple[list[TrainingPair], Path]:
    """Read captions, write pairs.jsonl and the card beside it; returns pairs and card."""
    records = read_records(captions)
    if not records:
        raise DatasetError(f"{captions}: no caption records (missing or empty file)")
    pairs = build_pairs(records, validation_fraction, seed)
    write_pairs(pairs, out)
    card = out.with_name(out.stem + ".card.md")
    card.write_text(dataset_card(pairs, records), encoding="utf-8")
    return pairs, card
