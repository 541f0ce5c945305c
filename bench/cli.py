"""`cinealert bench parse|relay|render|card|memory|cinemagraph`: dispatch to one benchmark
module, imported lazily.

Each benchmark module (``bench.parse``, ``bench.relay``, ``bench.render``, ``bench.card``)
exposes ``add_arguments(parser)`` and ``run(args) -> int``, like the daemon's subcommands.
Its arguments are parsed here from what follows the benchmark's name, so ``cinealert bench
parse`` never imports torch and ``cinealert bench render`` never imports the CAP corpus.
"""

from __future__ import annotations

import argparse
import importlib

HELP = "benchmarks (parse, relay, render, card, memory, cinemagraph)"

BENCHMARKS: dict[str, tuple[str, str]] = {
    "parse": ("bench.parse", "CAP parse + validate + classify vs raw lxml, over the corpus"),
    "relay": ("bench.relay", "broker-to-broker relay throughput and latency of the daemon"),
    "render": ("bench.render", "pipeline render time per stage"),
    "card": ("bench.card", "alert card draw + encode time per stage, on one core"),
    "memory": ("bench.memory_plan", "exact parameter bytes per role of the full profile"),
    "cinemagraph": (
        "bench.cinemagraph",
        "cinemagraph on the shared photos: timings, contact sheets",
    ),
}

# A prefix no argument starts with: everything after the benchmark's name is passed through
# untouched (including --help) to the benchmark's own parser.
_NO_OPTION_PREFIX = "\x00"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare one sub-command per benchmark; its own options are parsed in ``run``."""
    sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for name, (_module, help_text) in BENCHMARKS.items():
        bench_parser = sub.add_parser(
            name, help=help_text, add_help=False, prefix_chars=_NO_OPTION_PREFIX
        )
        bench_parser.add_argument("bench_args", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    """Import the chosen benchmark, parse its options, run it; return its exit status."""
    module_name, help_text = BENCHMARKS[args.benchmark]
    module = importlib.import_module(module_name)
    bench_parser = argparse.ArgumentParser(
        prog=f"cinealert bench {args.benchmark}", description=help_text
    )
    module.add_arguments(bench_parser)
    bench_args = bench_parser.parse_args(args.bench_args)
    result: int = module.run(bench_args)
    return result
