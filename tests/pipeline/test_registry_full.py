"""The full profile's loader, run for real on CPU: tiny models saved the way hub repos are
laid out (save_pretrained), then loaded through `pipeline.full_models` offline from local
directories, and used for one render."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import save_file

from pipeline import tiny_models
from pipeline.config import PipelineConfig
from pipeline.full_models import MissingWeightsError, resolve_sources
from pipeline.interface import RenderRequest
from pipeline.registry import describe, load_models
from pipeline.renderer import PipelineRenderer


def _save_processed(bundle: tiny_models.ProcessedModel, directory: Path) -> str:
    bundle.model.save_pretrained(directory)
    bundle.processor.save_pretrained(directory)
    return str(directory)


def _save_vit(directory: Path) -> str:
    directory.mkdir(parents=True)
    model = tiny_models.build_vit()
    save_file(model.state_dict(), str(directory / "model.safetensors"))
    config = {
        "architecture": "vit_base_patch16_224",
        "model_args": {"depth": 2, "embed_dim": 64, "num_heads": 2},
    }
    (directory / "config.json").write_text(json.dumps(config))
    return str(directory)


@pytest.fixture(scope="module")
def saved_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("full-weights")
    llm = tiny_models.build_llm()
    llm.model.save_pretrained(root / "llm")
    llm.tokenizer.save_pretrained(root / "llm")
    # The adapter is saved from the wrapped model: only the LoRA weights go into it.
    tiny_models.apply_tiny_lora(llm).model.save_pretrained(root / "lora")
    t2i, inpaint = tiny_models.build_diffusion()
    t2i.save_pretrained(root / "t2i")
    inpaint.save_pretrained(root / "inpaint")
    return {
        "llm": str(root / "llm"),
        "lora": str(root / "lora"),
        "t2i": str(root / "t2i"),
        "inpaint": str(root / "inpaint"),
        "clip": _save_processed(tiny_models.build_clip(), root / "clip"),
        "grounding_dino": _save_processed(tiny_models.build_grounding_dino(), root / "gdino"),
        "sam": _save_processed(tiny_models.build_sam(), root / "sam"),
        "clipseg": _save_processed(tiny_models.build_clipseg(), root / "clipseg"),
        "vit": _save_vit(root / "vit"),
        "depth": _save_processed(tiny_models.build_depth(), root / "depth"),
    }


@pytest.mark.slow
def test_full_loader_reads_local_directories_offline_and_renders(
    saved_sources: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = PipelineConfig(
        profile="full",
        device="cpu",
        image_size=64,
        candidates=2,
        steps=1,
        frames=4,
        model_sources=saved_sources,
    )
    models = load_models(config)
    assert models.lora_applied
    loaded = {entry.role: entry for entry in describe(models)}
    assert loaded["t2i"].name == saved_sources["t2i"]
    assert loaded["lora"].parameters > 0
    # Only the UNet is read from the inpainting directory; the rest is shared.
    assert models.inpaint is not None and models.inpaint.vae is models.t2i.vae
    renderer = PipelineRenderer(config, models)
    renderer.warm_up()
    result = renderer.render(RenderRequest(hazard="landslide", method="cinemagraph"))
    assert result.models["t2i"] == saved_sources["t2i"]
    assert result.media[2].frames == 4 and result.media[2].width == 64
    sampled = renderer.render(RenderRequest(hazard="flood", method="masked-sampling"))
    assert sampled.models["clipseg"] == saved_sources["clipseg"]


def test_deleting_a_tokenizer_file_fails_the_full_load(
    saved_sources: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for tokenizer_file in (Path(saved_sources["t2i"]) / "tokenizer").iterdir():
        if tokenizer_file.name in ("tokenizer.json", "vocab.json"):
            broken = tmp_path / "t2i"
            break
    else:
        pytest.fail("saved SD tokenizer has neither tokenizer.json nor vocab.json")
    shutil.copytree(saved_sources["t2i"], broken)
    for name in ("tokenizer.json", "vocab.json"):
        (broken / "tokenizer" / name).unlink(missing_ok=True)
    config = PipelineConfig(
        profile="full", device="cpu", model_sources={**saved_sources, "t2i": str(broken)}
    )
    with pytest.raises(MissingWeightsError) as caught:
        load_models(config)
    assert set(caught.value.missing) == {"t2i"}
    assert "tokenizer" in caught.value.missing["t2i"][0]


def _install_in_hub_cache(directory: str, repo_id: str, cache_dir: Path) -> None:
    """Lay a saved model out the way huggingface_hub caches a downloaded repo."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = cache_dir / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(directory, repo_dir / "snapshots" / commit)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit)


def test_hub_ids_are_found_in_the_configured_model_cache_dir(
    saved_sources: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # The hub's default cache is empty: only model_cache_dir can supply the files.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "default"))
    cache_dir = tmp_path / "models-cache"
    hub_ids = {role: f"cinealert-test/tiny-{role}" for role in saved_sources}
    for role, directory in saved_sources.items():
        _install_in_hub_cache(directory, hub_ids[role], cache_dir)
    config = PipelineConfig(
        profile="full", device="cpu", model_sources=hub_ids, model_cache_dir=cache_dir
    )
    models = load_models(config)
    assert models.lora_applied
    assert {entry.role: entry.name for entry in describe(models)}["t2i"] == hub_ids["t2i"]

    with pytest.raises(MissingWeightsError) as caught:
        load_models(config.with_changes(model_cache_dir=tmp_path / "default"))
    assert set(caught.value.missing) == set(hub_ids)
    assert str(tmp_path / "default") in str(caught.value)

    # Checked without load_models: its per-process cache already holds this config's set.
    shutil.rmtree(cache_dir / "models--cinealert-test--tiny-depth")
    with pytest.raises(MissingWeightsError) as caught:
        resolve_sources(config)
    assert set(caught.value.missing) == {"depth"}
    assert caught.value.cache_dir == cache_dir
    assert str(cache_dir) in str(caught.value)
