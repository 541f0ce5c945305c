"""The `cinealert` command: a thin dispatcher over one module per subcommand.

Each subcommand lives in its own module exposing ``HELP: str``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when
their subcommand is chosen, so `cinealert parse` never pays for torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# subcommand -> module implementing it
COMMANDS: dict[str, str] = {
    "parse": "daemon.commands.parse",
    "broker": "daemon.commands.broker",
    "run": "daemon.commands.run",
    "check": "daemon.commands.check",
    "record": "daemon.commands.record",
    "replay": "daemon.commands.replay",
    "render": "daemon.commands.render",
    "animate": "daemon.commands.animate",
    "card": "daemon.commands.card",
    "ingest": "daemon.commands.ingest",
    "demo": "daemon.commands.demo",
    "dataset": "daemon.commands.dataset",
    "train-prompter": "daemon.commands.train_prompter",
    "evaluate": "daemon.commands.evaluate",
    "bench": "bench.cli",
}

# One-line help per subcommand, kept here so `cinealert --help` imports nothing heavy.
HELP: dict[str, str] = {
    "parse": "parse CAP files and print one JSON object per input",
    "broker": "start the embedded Kafka-compatible broker",
    "run": "run the daemon: consume CAP alerts, render, publish media records",
    "check": "probe the daemon's /readyz; exit 0 when ready, 1 otherwise",
    "record": "capture a topic into a recorded-stream JSONL file",
    "replay": "play a recorded-stream JSONL file into a topic",
    "render": "render one hazard to media files and a JSON report",
    "animate": "animate your own photo (cinemagraph stages only) to media files and a report",
    "card": "draw the animated alert card of a CAP file (no GPU, no models)",
    "ingest": "poll CAP alert feeds and produce new alerts to the input topic",
    "demo": "the main job: broker + daemon + replay of the bundled stream + results table",
    "bench": "benchmarks (parse, relay, render, card, memory, cinemagraph)",
    "dataset": "caption disaster photos and turn the captions into metadata training pairs",
    "train-prompter": "fine-tune the metadata generator's LoRA adapter on training pairs",
    "evaluate": "Table 1 per disaster type (FID, CLIP score, LPIPS, SSIM); --generate renders",
}


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def build_parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cinealert", description="CAP alerts to cinemagraphs for people who cannot read them."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        command_parser = sub.add_parser(name, help=HELP[name], description=HELP[name])
        # Only the chosen subcommand's module is imported to declare its arguments.
        if name == chosen:
            _load(name).add_arguments(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)
    module = _load(args.command)
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
