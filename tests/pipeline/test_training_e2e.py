"""caption -> metadata -> train-prompter -> render with the adapter -> evaluate, end to
end through the `cinealert` command on tiny models and an image set made here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from daemon.cli import main
from pipeline import tiny_models
from pipeline.prompt import clean_scene_text, generate_scene_text
from tests.pipeline.training_support import add_bad_images, write_photos

TRAIN = [
    "--epochs", "6", "--learning-rate", "0.05", "--batch-size", "2", "--dropout", "0",
    "--target-modules", "q_proj,k_proj,v_proj,o_proj",
]  # fmt: skip


def _target_share(text: str, target_words: set[str]) -> float:
    words = clean_scene_text(text).lower().split()
    return sum(word in target_words for word in words) / max(len(words), 1)


@pytest.mark.slow
def test_photos_to_adapter_to_render_to_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CINEALERT_MODEL_LORA", raising=False)
    monkeypatch.setenv("CINEALERT_MODELS", "tiny")
    photos = write_photos(tmp_path / "photos")
    corrupt, tiny = add_bad_images(photos)
    captions, pairs = tmp_path / "captions.jsonl", tmp_path / "pairs.jsonl"

    # 1. Captions: one line per image; the bad ones skipped with their reason.
    assert main(["dataset", "caption", str(photos), "--out", str(captions)]) == 0
    records = [json.loads(line) for line in captions.read_text().splitlines()]
    assert len(records) == 8
    skipped = {Path(r["path"]).name: r["skipped"] for r in records if r["skipped"]}
    assert set(skipped) == {corrupt.name, tiny.name}
    assert "not a readable image" in skipped[corrupt.name]
    assert "too small" in skipped[tiny.name]
    assert all(
        r["caption"] and r["model"] == "tiny-random/blip" for r in records if not r["skipped"]
    )

    # 2. Pairs in the paper's format, split by image, with a card.
    assert (
        main(["dataset", "metadata", str(captions), "--out", str(pairs), "--validation", "0.34"])
        == 0
    )
    lines = [json.loads(line) for line in pairs.read_text().splitlines()]
    assert len(lines) == 6
    assert {line["prompt"] for line in lines} == {"[INST] Flood [/INST]", "[INST] Wildfire [/INST]"}
    assert all(line["target"].endswith("Do not include any humans.") for line in lines)
    assert {(line["disaster_type"], line["split"]) for line in lines} == {
        (t, s) for t in ("flood", "wildfire") for s in ("train", "validation")
    }
    card = pairs.with_name("pairs.card.md").read_text()
    assert "| flood | Flood |" in card and "| 2 |" in card  # flood: 2 skipped images

    # 3. Train: a standard adapter directory and a report whose validation loss falls.
    adapter = tmp_path / "adapter"
    assert main(["train-prompter", "--data", str(pairs), "--out", str(adapter), *TRAIN]) == 0
    assert (adapter / "adapter_config.json").is_file()
    assert (adapter / "adapter_model.safetensors").is_file()
    report = json.loads((adapter / "training_report.json").read_text())
    losses = report["validation_loss_per_epoch"]
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert report["base_model"] == "tiny-random/llm"

    # 4. Render with CINEALERT_MODEL_LORA = the adapter: the prompt moves towards the
    # training targets compared with the base model alone.
    monkeypatch.setenv("CINEALERT_MODEL_LORA", str(adapter))
    out = tmp_path / "render"
    small = ["--size", "64", "--candidates", "1", "--steps", "1", "--device", "cpu"]
    assert main(["render", "--hazard", "flood", *small, "--out", str(out)]) == 0
    rendered = json.loads((out / "report.json").read_text())
    assert rendered["models"]["lora"] == str(adapter)
    tuned = rendered["details"]["llm_text"]
    base = generate_scene_text(
        tiny_models.build_llm(), "Flood", max_new_tokens=16, sample=False, seed=0
    )
    assert clean_scene_text(tuned) != clean_scene_text(base)
    target_words = set(clean_scene_text(" ".join(line["target"] for line in lines)).lower().split())
    assert _target_share(tuned, target_words) > _target_share(base, target_words) + 0.2
    monkeypatch.delenv("CINEALERT_MODEL_LORA")

    # 5. Evaluate: a corrupt real photo is refused by name; then the table per type.
    generated, table = tmp_path / "generated", tmp_path / "table"
    evaluate = [
        "evaluate", "--real", str(photos), "--generated", str(generated), "--out", str(table),
        "--generate", "--per-type", "2", "--types", "flood,wildfire", "--adapter", str(adapter),
        "--size", "64", "--steps", "1", "--device", "cpu",
    ]  # fmt: skip
    capsys.readouterr()
    assert main(evaluate) == 2
    assert str(corrupt) in capsys.readouterr().err
    corrupt.unlink()
    tiny.unlink()
    assert main(evaluate) == 0
    prompts = [json.loads(line) for line in (generated / "prompts.jsonl").read_text().splitlines()]
    assert len(prompts) == 4 and all(p["prompt"].endswith("humans.") for p in prompts)
    rows = list(csv.DictReader((table / "table1.csv").open()))
    assert [row["disaster_type"] for row in rows] == ["flood", "wildfire"]
    for row in rows:
        assert row["real"] == "3" and row["generated"] == "2"
        assert float(row["fid:ours"]) >= 0 and float(row["clip_score:ours"]) >= 0
        assert float(row["lpips:ours"]) >= 0 and -1 <= float(row["ssim:ours"]) <= 1
    assert "| flood | 3 | 2 |" in (table / "table1.md").read_text()
    for metric in ("fid", "clip_score", "lpips", "ssim"):
        assert (table / f"{metric}.png").read_bytes()[:4] == b"\x89PNG"
