"""Table 1 written out: one row per disaster type, each metric for the evaluated images
("ours") and, beside it, any published numbers the user supplies for the same type.

The second paper's own Table 1 values are not shipped: they were not available to this
project (no copy of the paper's table in its sources), and numbers typed from memory
would be worse than none. `read_paper_numbers` takes them from a CSV the user writes
from the paper (docs/training.md): ``disaster_type,method,metric,value``."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.training.metrics import METRICS, TypeScores
from pipeline.training.photos import DatasetError, check_disaster_type

HEADINGS = {"fid": "FID ↓", "clip_score": "CLIP score ↑", "lpips": "LPIPS", "ssim": "SSIM"}
# (disaster type, method) -> metric -> value
PaperNumbers = Mapping[tuple[str, str], Mapping[str, float]]


def read_paper_numbers(path: Path) -> dict[tuple[str, str], dict[str, float]]:
    """Published numbers from ``disaster_type,method,metric,value`` rows; refuses an
    unknown type or metric, naming the row."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file of published numbers")
    numbers: dict[tuple[str, str], dict[str, float]] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for number, row in enumerate(csv.DictReader(stream), start=2):
            try:
                check_disaster_type(row["disaster_type"])
                if row["metric"] not in METRICS:
                    raise DatasetError(f"metric {row['metric']!r} is not one of {METRICS}")
                key = (row["disaster_type"], row["method"].strip())
                numbers.setdefault(key, {})[row["metric"]] = float(row["value"])
            except (KeyError, ValueError) as error:
                raise DatasetError(f"{path}:{number}: {error}") from error
    return numbers


def methods_of(paper: PaperNumbers) -> list[str]:
    return sorted({method for _, method in paper})


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def columns(paper: PaperNumbers) -> list[tuple[str, str]]:
    """(metric, source) per column: ours first, then each published method."""
    return [(metric, source) for metric in METRICS for source in ["ours", *methods_of(paper)]]


def value_of(row: TypeScores, metric: str, source: str, paper: PaperNumbers) -> float | None:
    """One cell's number: ours from the row, else the published value (or None)."""
    if source == "ours":
        value: float | None = getattr(row, metric)
        return value
    return paper.get((row.disaster_type, source), {}).get(metric)


def markdown_table(rows: Sequence[TypeScores], paper: PaperNumbers, label: str) -> str:
    """Table 1 as Markdown, with set sizes and notes."""
    cols = columns(paper)
    head = ["disaster type", "real", "generated"]
    head += [f"{HEADINGS[m]} ({label if s == 'ours' else s})" for m, s in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * len(cols)]
    for row in rows:
        cells = [row.disaster_type, str(row.real), str(row.generated)]
        cells += [_cell(value_of(row, m, s, paper)) for m, s in cols]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {row.disaster_type}: {note}" for row in rows for note in row.notes]
    if not paper:
        notes.append("- no published numbers given (--paper FILE); see docs/training.md")
    return "\n".join([*lines, "", *notes, ""])


def csv_table(rows: Sequence[TypeScores], paper: PaperNumbers) -> str:
    """The same table as CSV, one column per (metric, source)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cols = columns(paper)
    writer.writerow(["disaster_type", "real", "generated", *[f"{m}:{s}" for m, s in cols]])
    for row in rows:
        values = [value_of(row, m, s, paper) for m, s in cols]
        writer.writerow(
            [row.disaster_type, row.real, row.generated, *["" if v is None else v for v in values]]
        )
    return buffer.getvalue()
