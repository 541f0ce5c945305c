"""`cinealert bench parse`: alerts per second for parse + validate + classify over the corpus.

The baseline is raw ``lxml.etree.fromstring`` on the same bytes in the same run, so the
ratio (ours / raw) is comparable across machines even when absolute rates are not.
Each round parses every corpus file once with each pipeline; the median round's CPU time
is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lxml import etree

from cap.classify import classify_alert
from cap.document import parse_document

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "cap-corpus"
TARGET_RATIO = 1 / 3
_SKIPPED_SUFFIXES = (".tsv", ".xsd", ".md")


@dataclass(frozen=True)
class ParseBenchResult:
    """One run's numbers; rates are per CPU second of the median round."""

    files: int
    total_bytes: int
    alerts_per_round: int
    rounds: int
    ours_round_s: float
    raw_round_s: float
    ours_alerts_per_s: float
    raw_alerts_per_s: float
    ratio: float
    target_ratio: float
    target_met: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Corpus location, round count and output format."""
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="CAP corpus folder")
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds (after 1 warm-up)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def load_corpus(corpus: Path) -> list[bytes]:
    """The bytes of every corpus file (labels, schemas and notes excluded), sorted by path."""
    if not corpus.is_dir():
        raise FileNotFoundError(f"CAP corpus folder not found: {corpus}")
    paths = sorted(
        path
        for path in corpus.rglob("*")
        if path.is_file() and path.suffix.lower() not in _SKIPPED_SUFFIXES
    )
    return [path.read_bytes() for path in paths]


def _ours(documents: list[bytes]) -> int:
    alerts = 0
    for data in documents:
        parsed = parse_document(data)
        for alert in parsed.alerts:
            classify_alert(alert)
        alerts += len(parsed.alerts)
    return alerts


def _raw(documents: list[bytes]) -> int:
    # No entity resolution and no network: the corpus holds an XXE sample.
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parsed = 0
    for data in documents:
        try:
            etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            continue  # refused documents cost their parse time all the same
        parsed += 1
    return parsed


def _median_rounds(documents: list[bytes], rounds: int) -> tuple[float, float]:
    """Median CPU seconds per round of (raw, ours), the two interleaved round by round.

    CPU time of this process, not wall time: the machines are shared, and another
    process's load would otherwise land on whichever pipeline ran at that moment.
    Interleaving spreads any remaining drift (CPU frequency, caches) over both.
    """
    _raw(documents)  # warm-up: imports, taxonomy load, caches
    _ours(documents)
    raw_timings: list[float] = []
    ours_timings: list[float] = []
    for done in range(1, rounds + 1):
        started = time.process_time()
        _raw(documents)
        raw_timings.append(time.process_time() - started)
        started = time.process_time()
        _ours(documents)
        ours_timings.append(time.process_time() - started)
        if done % 5 == 0 or done == rounds:
            print(f"  round {done}/{rounds}", file=sys.stderr)
    return statistics.median(raw_timings), statistics.median(ours_timings)


def measure(documents: list[bytes], rounds: int) -> ParseBenchResult:
    """Time both pipelines over ``documents`` in the same run."""
    if rounds < 1:
        raise ValueError(f"rounds must be ≥ 1, got {rounds}")
    alerts = _ours(documents)
    if alerts == 0:
        raise ValueError("the corpus yielded no alerts; nothing to measure")
    print(f"parse bench: {len(documents)} files, {alerts} alerts per round", file=sys.stderr)
    raw_s, ours_s = _median_rounds(documents, rounds)
    ours_rate = alerts / ours_s
    raw_rate = alerts / raw_s
    ratio = ours_rate / raw_rate
    return ParseBenchResult(
        files=len(documents),
        total_bytes=sum(len(data) for data in documents),
        alerts_per_round=alerts,
        rounds=rounds,
        ours_round_s=ours_s,
        raw_round_s=raw_s,
        ours_alerts_per_s=ours_rate,
        raw_alerts_per_s=raw_rate,
        ratio=ratio,
        target_ratio=TARGET_RATIO,
        target_met=ratio >= TARGET_RATIO,
    )


def _row(name: str, round_s: float, rate: float) -> tuple[str, str, str]:
    return (name, f"{round_s * 1000:.1f}", f"{rate:,.0f}")


def format_table(result: ParseBenchResult) -> str:
    """A plain-text result table."""
    rows = [
        ("pipeline", "round (ms CPU)", "alerts/s"),
        _row("raw lxml.etree.fromstring", result.raw_round_s, result.raw_alerts_per_s),
        _row("parse+validate+classify", result.ours_round_s, result.ours_alerts_per_s),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    verdict = "met" if result.target_met else "NOT met"
    lines.append(
        f"ratio ours/raw = {result.ratio:.3f} (target ≥ {result.target_ratio:.3f}: {verdict}); "
        f"{result.files} files, {result.total_bytes / 1e6:.2f} MB, "
        f"{result.alerts_per_round} alerts per round, median of {result.rounds} rounds"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; 0 on success, 1 if the corpus is missing or yields nothing."""
    try:
        documents = load_corpus(args.corpus)
        result = measure(documents, args.rounds)
    except (FileNotFoundError, ValueError) as exc:
        print(f"cinealert bench parse: {exc}", file=sys.stderr)
        return 1
    table = format_table(result)
    if args.json:
        print(table, file=sys.stderr)
        print(json.dumps(asdict(result)))
    else:
        print(table)
    return 0
