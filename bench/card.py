"""`cinealert bench card`: time to draw and encode an alert card, on one CPU core.

For every taxonomy hazard x one sample alert per script (Latin, Cyrillic, Korean, Japanese,
Chinese, Arabic, Hebrew), ``--repeat`` times: the draw (``card_frames``), each encoder of
``pipeline.encode`` alone (GIF, WebP, MP4, PNG poster) and a whole ``CardRenderer.render``;
median, p95 and max per stage, file sizes, peak RSS. The renderer draws each card again from
scratch, so comparing its files with the separately encoded ones (and later repeats with
the first) checks that the same alert gives the same bytes. WebP variants encode the same
frames with other libwebp options, to show what a change to ``pipeline.encode`` would buy.

One core: the process is pinned (``sched_setaffinity``) before anything is timed. libx264
sizes its thread pool from the affinity mask (no extra thread pinned, six unpinned on a
2-core VM); libwebp, zlib and the GIF writer are single-threaded and the card path makes
no BLAS call; the thread variables are set too, for anything loaded later.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import av
import PIL
from PIL import features

from cap.taxonomy import load_taxonomy
from pipeline.card.compose import CARD_FPS, CARD_FRAMES, CARD_SIZE, card_frames
from pipeline.card.renderer import POSTER_FRAME, CardRenderer
from pipeline.encode import (
    WEBP_OPTIONS,
    encode_gif,
    encode_mp4,
    encode_poster,
    encode_webp,
    h264_encoder,
)
from pipeline.interface import CardText, MediaFile, RenderRequest

HELP = "alert card draw + encode time per stage, on one core"
TARGET_MS = 150.0
FORMATS = ("gif", "webp", "mp4", "png")
# The same alert must give the same bytes in these; MP4 is reported apart (libx264).
STABLE_FORMATS = ("gif", "webp", "png")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MIB = 1024 * 1024
# pipeline.encode writes only the first frame as a key frame (kmin = kmax = 0, adopted
# after this benchmark measured it); Pillow's defaults for lossy animations, kmin=3 and
# kmax=5 (a whole 512 px key frame every few frames), are kept here for comparison.
WEBP_VARIANTS: dict[str, dict[str, int]] = {
    "method0": {"method": 0},
    "pillow-default-keyframes": {"kmin": 3, "kmax": 5},
}


def _sample(tags: str, event: str, headline: str, area: str) -> CardText:
    """``tags``: "language severity expiry" (ISO 8601 in the alert's offset; "-": none)."""
    language, severity, expires = tags.split()
    until = None if expires == "-" else datetime.fromisoformat(expires)
    return CardText(event, headline, area, until, severity, language)


# One alert per script the card writes, authored here in the style of each country's alerts.
SAMPLE_TEXTS: dict[str, CardText] = {
    "latin": _sample(
        "en-US Extreme 2026-05-20T16:15-05:00",
        "Tornado Warning",
        "Tornado Warning issued May 20 at 3:42PM CDT until May 20 at 4:15PM CDT by NWS Norman OK",
        "Cleveland, OK; McClain, OK; Oklahoma, OK",
    ),
    "cyrillic": _sample(
        "ru-RU Severe 2026-12-06T21:00+07:00",
        "Сильный снег",
        "Ожидается сильный снег, метель, ухудшение видимости до 500 м",
        "Новосибирская область",
    ),
    "korean": _sample(
        "ko-KR Extreme 2026-12-06T23:00+09:00",
        "지진해일경보",
        "[기상청] 동해안 지진해일경보 발령. 해안가 주민은 즉시 높은 곳으로 대피하시기 바랍니다",
        "강원도 강릉시, 동해시, 삼척시",
    ),
    "japanese": _sample(
        "ja-JP Extreme 2026-07-04T12:00+09:00",
        "大雨特別警報",
        "数十年に一度の大雨となっています。命を守るための最善の行動をとってください。",
        "熊本県球磨地方",
    ),
    "chinese": _sample(
        "zh-CN Severe 2026-09-01T18:00+08:00",
        "台风橙色预警",
        "受台风影响，预计未来24小时内沿海地区将出现10级以上大风，请做好防御准备。",
        "深圳市",
    ),
    "arabic": _sample(
        "ar-SA Moderate 2026-04-02T17:00+03:00",
        "تحذير من عاصفة رملية",
        "رياح نشطة مثيرة للأتربة والغبار تحد من مدى الرؤية الأفقية",
        "المنطقة الشرقية",
    ),
    "hebrew": _sample(
        "he-IL Minor -",
        "אזהרת גשם כבד",
        "צפויים גשמים עזים ושיטפונות בנחלים, יש להימנע מכניסה לאפיקי נחלים",
        "מחוז הדרום",
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Core, repetitions, which cards, WebP variants and the JSON output."""
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over every card")
    parser.add_argument("--core", type=int, default=None, help="default: first allowed core")
    parser.add_argument("--hazards", default=None, help="comma list; default: every hazard")
    parser.add_argument("--scripts", default=None, help=f"comma list of {', '.join(SAMPLE_TEXTS)}")
    parser.add_argument(
        "--webp-variants",
        default=",".join(WEBP_VARIANTS),
        help=f"comma list of {', '.join(WEBP_VARIANTS)}; empty for none",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")


def _choose(value: str | None, known: Sequence[str], what: str) -> list[str]:
    if value is None:
        return list(known)
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


@contextlib.contextmanager
def one_core(core: int | None) -> Iterator[int]:
    """Pin this process to ``core`` (default: the first allowed) with one thread per
    library; put the affinity and the environment back afterwards (tests call ``run``)."""
    allowed = os.sched_getaffinity(0)
    chosen = min(allowed) if core is None else core
    if chosen not in allowed:
        raise SystemExit(f"core {chosen} is not allowed here (allowed: {sorted(allowed)})")
    os.sched_setaffinity(0, {chosen})
    try:
        with mock.patch.dict(os.environ, dict.fromkeys(THREAD_VARIABLES, "1")):
            yield chosen
    finally:
        os.sched_setaffinity(0, allowed)


@dataclass
class DigestLedger:
    """The first SHA-256 of each (card, format), and how often a later copy differed."""

    first: dict[tuple[str, str, str], str] = field(default_factory=dict)
    comparisons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FORMATS, 0))
    mismatches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FORMATS, 0))

    def record(self, card: tuple[str, str], media: Sequence[MediaFile]) -> None:
        for file in media:
            digest = hashlib.sha256(file.data).hexdigest()
            key = (*card, file.format)
            if key not in self.first:
                self.first[key] = digest
                continue
            self.comparisons[file.format] += 1
            self.mismatches[file.format] += digest != self.first[key]

    def report(self) -> dict[str, Any]:
        per_format = {
            name: {"comparisons": self.comparisons[name], "mismatches": self.mismatches[name]}
            for name in FORMATS
        }
        verified = all(
            self.comparisons[name] > 0 and self.mismatches[name] == 0 for name in STABLE_FORMATS
        )
        return {**per_format, "stable_formats": list(STABLE_FORMATS), "verified": verified}


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000.0, result


@dataclass
class CardBench:
    """One run's renderer and WebP variants, and what it measured: stage times (ms) and
    file sizes (bytes), one entry per card, and the digests of every file."""

    renderer: CardRenderer
    variants: Sequence[str]
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sizes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    ledger: DigestLedger = field(default_factory=DigestLedger)

    def warm_up(self) -> None:
        """Load fonts and encoders."""
        self.renderer.warm_up()
        for text in SAMPLE_TEXTS.values():  # every script's font, shaping, line breaking
            self.renderer.render(RenderRequest(hazard="flood", card=text))

    def measure(self, hazard: str, script: str) -> None:
        """Draw, encode (each encoder alone) and render one card: times, sizes, digests."""
        text = SAMPLE_TEXTS[script]
        draw_ms, frames = _timed(lambda: card_frames(hazard, text, CARD_SIZE, CARD_FRAMES))
        self.timings["draw"].append(draw_ms)
        encoders: dict[str, Callable[[], MediaFile]] = {
            "gif": lambda: encode_gif(frames, CARD_FPS),
            "webp": lambda: encode_webp(frames, CARD_FPS),
            "mp4": lambda: encode_mp4(frames, CARD_FPS),
            "poster": lambda: encode_poster(frames[POSTER_FRAME % len(frames)]),
        }
        media = []
        for stage, encode in encoders.items():
            milliseconds, file = _timed(encode)
            self.timings[stage].append(milliseconds)
            self.sizes[stage].append(len(file.data))
            media.append(file)
        for name in self.variants:
            options = WEBP_VARIANTS[name]
            variant = functools.partial(encode_webp, frames, CARD_FPS, options)
            milliseconds, file = _timed(variant)
            self.timings[f"webp:{name}"].append(milliseconds)
            self.sizes[f"webp:{name}"].append(len(file.data))
        self.ledger.record((hazard, script), media)
        result = self.renderer.render(RenderRequest(hazard=hazard, card=text))
        self.timings["render_total"].append(result.timings_ms["total"])
        self.ledger.record((hazard, script), [*result.media, result.poster])


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Median, p95 (nearest rank, defined for one value too) and max."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[rank - 1],
        "max_ms": ordered[-1],
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB  # Linux: KiB


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark pinned to one core and return every number it measured."""
    hazards = _choose(args.hazards, [spec.name for spec in load_taxonomy().hazards], "hazards")
    scripts = _choose(args.scripts, list(SAMPLE_TEXTS), "scripts")
    variants = _choose(args.webp_variants, list(WEBP_VARIANTS), "WebP variants")
    if args.repeat < 1:
        raise SystemExit(f"--repeat must be ≥ 1, got {args.repeat}")
    load_start = os.getloadavg()
    bench = CardBench(CardRenderer(), variants)
    with one_core(args.core) as core:
        bench.warm_up()
        rss_after_warm_up = _peak_rss_mib()
        total = len(hazards) * len(scripts) * args.repeat
        print(f"card bench: {total} cards on core {core}", file=sys.stderr)
        for repeat in range(1, args.repeat + 1):
            for index, hazard in enumerate(hazards, start=1):
                for script in scripts:
                    bench.measure(hazard, script)
                draw = statistics.median(bench.timings["draw"])
                render = statistics.median(bench.timings["render_total"])
                print(
                    f"  repeat {repeat}/{args.repeat}  hazard {index}/{len(hazards)} {hazard}: "
                    f"median so far draw {draw:.1f} ms, render {render:.1f} ms",
                    file=sys.stderr,
                )
    stages = {stage: percentiles(values) for stage, values in bench.timings.items()}
    return {
        "machine": {
            "cpu": _cpu_model(),
            "platform": platform.platform(),
            "software": f"Python {platform.python_version()}, Pillow {PIL.__version__}, "
            f"libwebp {features.version('webp')}, PyAV {av.__version__} ({h264_encoder()})",
            "core": core,
            "allowed_cores": sorted(os.sched_getaffinity(0)),
            "load_average_start": list(load_start),
            "load_average_end": list(os.getloadavg()),
        },
        "config": {
            "size": CARD_SIZE,
            "frames": CARD_FRAMES,
            "fps": CARD_FPS,
            "repeat": args.repeat,
            "hazards": hazards,
            "scripts": scripts,
            "webp_options": dict(WEBP_OPTIONS),
            "webp_variants": {name: WEBP_VARIANTS[name] for name in variants},
        },
        "cards_timed": len(bench.timings["draw"]),
        "stages": stages,
        "bytes": {
            stage: {"median": statistics.median(sizes), "max": max(sizes)}
            for stage, sizes in bench.sizes.items()
        },
        "peak_rss_mib": _peak_rss_mib(),
        "peak_rss_after_warm_up_mib": rss_after_warm_up,
        "determinism": bench.ledger.report(),
        "target_ms": TARGET_MS,
        "draw_meets_target": stages["draw"]["median_ms"] <= TARGET_MS,
        "render_total_meets_target": stages["render_total"]["median_ms"] <= TARGET_MS,
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as the table docs/BENCHMARKS.md carries."""
    machine, config, same = results["machine"], results["config"], results["determinism"]
    lines = [
        f"{results['cards_timed']} cards ({len(config['hazards'])} hazards x "
        f"{len(config['scripts'])} scripts x {config['repeat']}), {config['size']} px, "
        f"{config['frames']} frames at {config['fps']:g} fps, on core {machine['core']} of "
        f"{machine['cpu']} (load average at start {machine['load_average_start'][0]:.2f}); "
        f"{machine['software']}.\n",
        "| stage | median ms | p95 ms | max ms | median bytes | max bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for stage, row in results["stages"].items():
        size = results["bytes"].get(stage)
        sizes = f"{size['median']:,.0f} | {size['max']:,}" if size else " | "
        lines.append(
            f"| {stage} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {sizes} |"
        )
    differing = ", ".join(
        f"{name} {same[name]['mismatches']}/{same[name]['comparisons']}" for name in FORMATS
    )
    lines.append(
        f"\nPeak RSS {results['peak_rss_mib']:.0f} MiB ({results['peak_rss_after_warm_up_mib']:.0f}"
        f" MiB after warm-up). Copies of a card that differed: {differing}; "
        f"{'/'.join(same['stable_formats'])} {'' if same['verified'] else 'NOT '}deterministic."
        f"\nTarget ≤ {results['target_ms']:g} ms (median): the draw "
        f"{'meets' if results['draw_meets_target'] else 'misses'} it, a whole render "
        f"{'meets' if results['render_total_meets_target'] else 'misses'} it."
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run, print the markdown table, optionally write JSON; 1 if determinism failed."""
    results = run_bench(args)
    print(markdown(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["determinism"]["verified"] else 1
