"""`cinealert train-prompter`: fine-tune a LoRA adapter for the metadata generator on
training pairs (`cinealert dataset metadata`). The output directory is a standard peft
adapter: point `CINEALERT_MODEL_LORA` at it for the daemon and `cinealert render`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

HELP = "fine-tune the metadata generator's LoRA adapter on training pairs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Data, base model, output and every LoRA knob (defaults: docs/training.md)."""
    from pipeline.training.lora_training import LoraSettings  # noqa: PLC0415

    defaults = LoraSettings()
    parser.add_argument("--data", type=Path, required=True, metavar="pairs.jsonl")
    parser.add_argument("--out", type=Path, required=True, metavar="ADAPTER_DIR")
    parser.add_argument(
        "--base",
        default=None,
        help="base LLM: 'tiny', a directory or a hub id in the hub cache (default: tiny "
        "under CINEALERT_MODELS=tiny, else $CINEALERT_MODEL_LLM or Llama-2-7b-chat)",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda")
    parser.add_argument("--rank", type=int, default=defaults.rank)
    parser.add_argument("--alpha", type=int, default=defaults.alpha)
    parser.add_argument("--dropout", type=float, default=defaults.dropout)
    parser.add_argument(
        "--target-modules", default=",".join(defaults.target_modules), help="comma-separated"
    )
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument(
        "--checkpoint-steps", type=int, default=0, help="also checkpoint every N steps"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the latest checkpoint in --out (without it, --out must hold none)",
    )


def default_base() -> str:
    """The LLM the renderer would use: tiny, or the configured/public full LLM."""
    if (os.environ.get("CINEALERT_MODELS") or "tiny") == "tiny":
        return "tiny"
    from pipeline.full_models import DEFAULT_SOURCES  # noqa: PLC0415

    return os.environ.get("CINEALERT_MODEL_LLM") or DEFAULT_SOURCES["llm"]


def _settings(args: argparse.Namespace) -> Any:
    from pipeline.training.lora_training import LoraSettings  # noqa: PLC0415

    return LoraSettings(
        rank=args.rank,
        alpha=args.alpha,
        dropout=args.dropout,
        target_modules=tuple(m.strip() for m in args.target_modules.split(",") if m.strip()),
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_length=args.max_length,
        seed=args.seed,
        max_steps=args.max_steps,
        checkpoint_steps=args.checkpoint_steps,
    )


def _progress(event: str, state: Any, total: int) -> None:
    if event == "step":
        loss = state.epoch_losses[-1] if state.epoch_losses else float("nan")
        width = 30
        filled = width * state.global_step // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        print(
            f"\r  [{bar}] step {state.global_step}/{total} epoch {state.epoch + 1} loss {loss:.4f}",
            end="",
            flush=True,
        )
    elif event == "epoch":
        print(
            f"\n  epoch {state.epoch}: train loss {state.train_loss[-1]:.4f}, "
            f"validation loss {state.validation_loss[-1]:.4f}",
            flush=True,
        )
    else:
        print(f"  {event} at step {state.global_step} of {total}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the adapter is written, 2 on bad input or missing weights."""
    from pipeline.registry import RegistryError, resolve_device  # noqa: PLC0415
    from pipeline.training.base_llm import load_base_llm  # noqa: PLC0415
    from pipeline.training.local_weights import MissingFilesError  # noqa: PLC0415
    from pipeline.training.lora_training import train_lora  # noqa: PLC0415
    from pipeline.training.pairs import read_pairs  # noqa: PLC0415
    from pipeline.training.photos import DatasetError  # noqa: PLC0415

    base = args.base or default_base()
    try:
        settings = _settings(args)
        pairs = read_pairs(args.data)
        device = resolve_device(args.device)
        print(f"{len(pairs)} pairs from {args.data}; loading base model {base} ...", flush=True)
        llm, base_name = load_base_llm(base, device)
        report, _ = train_lora(
            llm.model,
            llm.tokenizer,
            pairs,
            args.out,
            settings,
            base_name=base_name,
            resume=args.resume,
            on_progress=_progress,
        )
    except (DatasetError, MissingFilesError, RegistryError, ValueError, OSError) as error:
        print(f"\ncinealert train-prompter: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with --resume --out {args.out}", file=sys.stderr)
        return 130
    print(f"wrote adapter to {args.out} ({report['trainable_parameters']} trainable parameters)")
    print(json.dumps({k: report[k] for k in ("steps", "validation_loss_per_epoch")}))
    print(f"use it: CINEALERT_MODEL_LORA={args.out} cinealert render --hazard flood ...")
    return 0
