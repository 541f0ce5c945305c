"""Model registry: the tiny profile loads every role once and reports it; the full profile
fails before loading anything, naming each missing role and file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pipeline import full_models
from pipeline.config import PipelineConfig, PipelineConfigError, config_from_env
from pipeline.full_models import MissingWeightsError, resolve_sources, roles_needed
from pipeline.model_set import ModelSet
from pipeline.registry import (
    RegistryError,
    describe,
    load_models,
    resolve_device,
    resolve_dtype,
    warm_up,
)


def test_tiny_registry_reports_every_role(tiny_models: ModelSet) -> None:
    loaded = {entry.role: entry for entry in describe(tiny_models)}
    # Both methods (method None) with mask method auto: CLIPSeg for masked sampling,
    # GroundingDINO + SAM for the cinemagraph.
    expected = {"llm", "lora", "t2i", "inpaint", "clip", "grounding_dino", "sam", "clipseg"}
    assert set(loaded) == expected | {"vit", "depth"}
    for entry in loaded.values():
        assert entry.parameters > 0
        assert entry.dtype == "float32"
        assert entry.device == "cpu"
        assert entry.name == f"tiny-random/{entry.role}"


def test_warm_up_runs_every_loaded_model_once(tiny_models: ModelSet) -> None:
    timings = warm_up(tiny_models)
    expected = {"llm", "t2i", "inpaint", "clip", "langsam", "clipseg", "depth", "vit"}
    assert set(timings) == expected
    assert all(value > 0 for value in timings.values())


def test_models_are_loaded_once_per_process(
    tiny_config: PipelineConfig, tiny_models: ModelSet
) -> None:
    assert load_models(tiny_config) is tiny_models
    # Render knobs do not change the models, so they share the same set.
    assert load_models(tiny_config.with_changes(candidates=3, seed=9)) is tiny_models


def test_tiny_weights_are_the_same_in_every_build(tiny_models: ModelSet) -> None:
    from pipeline import tiny_models as builders  # noqa: PLC0415

    rebuilt = builders.build_depth().model
    for (name, mine), (_, theirs) in zip(
        tiny_models.depth.model.state_dict().items(), rebuilt.state_dict().items(), strict=True
    ):
        assert torch.equal(mine, theirs), name


def test_device_and_dtype_resolution() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    assert resolve_dtype("auto", torch.device("cuda")) == torch.float16
    assert resolve_dtype("bfloat16", torch.device("cpu")) == torch.bfloat16
    with pytest.raises(RegistryError, match="not a torch device"):
        resolve_device("potato")
    if not torch.cuda.is_available():
        with pytest.raises(RegistryError, match="CUDA is not available"):
            resolve_device("cuda:0")


def test_config_validates_and_reads_the_environment() -> None:
    with pytest.raises(PipelineConfigError, match="profile"):
        PipelineConfig(profile="huge")
    with pytest.raises(PipelineConfigError, match="model_sources"):
        PipelineConfig(model_sources={"painter": "x"})
    config = config_from_env(
        {
            "CINEALERT_MODELS": "full",
            "CINEALERT_MODEL_T2I": "/models/sd15",
            "CINEALERT_RENDER_MASK_METHOD": "clipseg",
            "CINEALERT_MODEL_CACHE_DIR": "/models/hf/hub",
        }
    )
    assert config.model_cache_dir == Path("/models/hf/hub")
    assert config.profile == "full"
    assert config.mask_method == "clipseg"
    assert dict(config.model_sources) == {"t2i": "/models/sd15"}  # the cache dir is not a role
    assert config.resolved_image_size == 512


def _full_config(sources: dict[str, str], mask_method: str = "langsam") -> PipelineConfig:
    return PipelineConfig(
        profile="full", device="cpu", model_sources=sources, mask_method=mask_method
    )


def test_full_profile_offline_without_weights_names_every_missing_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    config = _full_config({})
    with pytest.raises(MissingWeightsError) as caught:
        load_models(config)
    missing = caught.value.missing
    assert set(missing) == set(roles_needed(config))
    message = str(caught.value)
    assert "HF_HUB_OFFLINE=1" in message
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5/tokenizer/vocab.json+" in message
    assert "IDEA-Research/grounding-dino-tiny/vocab.txt or tokenizer.json" in message


def test_missing_tokenizer_files_are_caught_even_when_the_rest_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clip_dir = tmp_path / "clip"
    clip_dir.mkdir()
    for name in ("config.json", "preprocessor_config.json", "model.safetensors"):
        (clip_dir / name).write_text(json.dumps({}))
    sd_dir = tmp_path / "sd"
    for relative in (
        "model_index.json",
        "scheduler/scheduler_config.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.safetensors",
        "text_encoder/config.json",
        "text_encoder/model.safetensors",
        "tokenizer/merges.txt",  # vocab.json is missing: the tokenizer trap
    ):
        (sd_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (sd_dir / relative).write_text("{}")
    monkeypatch.setattr(full_models, "roles_needed", lambda config: ["clip", "t2i"])
    with pytest.raises(MissingWeightsError) as caught:
        resolve_sources(_full_config({"clip": str(clip_dir), "t2i": str(sd_dir)}))
    assert caught.value.missing == {
        "clip": [f"{clip_dir}/vocab.json+merges.txt or tokenizer.json"],
        "t2i": [f"{sd_dir}/tokenizer/vocab.json+tokenizer/merges.txt or tokenizer/tokenizer.json"],
    }
    (sd_dir / "tokenizer" / "vocab.json").write_text("{}")
    (clip_dir / "tokenizer.json").write_text("{}")
    resolved = resolve_sources(_full_config({"clip": str(clip_dir), "t2i": str(sd_dir)}))
    assert resolved["t2i"].directory == sd_dir
    assert resolved["clip"].directory == clip_dir


def test_roles_follow_mask_method_and_lora_setting() -> None:
    assert "clipseg" in roles_needed(_full_config({}, mask_method="clipseg"))
    assert "sam" not in roles_needed(_full_config({}, mask_method="clipseg"))
    assert "lora" not in roles_needed(_full_config({}))
    assert "lora" in roles_needed(_full_config({"lora": "/adapters/flood"}))


@pytest.mark.parametrize(
    ("method", "mask_method", "roles"),
    [
        ("masked-sampling", "auto", {"inpaint", "vit", "clipseg"}),
        ("cinemagraph", "auto", {"depth", "grounding_dino", "sam"}),
        ("cinemagraph", "clipseg", {"depth", "clipseg"}),
        (None, "langsam", {"inpaint", "vit", "depth", "grounding_dino", "sam"}),
    ],
)
def test_only_the_roles_the_configured_method_needs_are_loaded(
    method: str | None, mask_method: str, roles: set[str]
) -> None:
    config = PipelineConfig(profile="tiny", device="cpu", method=method, mask_method=mask_method)
    assert set(config.roles_needed()) == {"llm", "t2i", "clip"} | roles
    # On the full profile the cinemagraph's background layer is painted by the inpainter.
    full_roles = roles | ({"inpaint"} if method in {"cinemagraph", None} else set())
    assert (
        set(roles_needed(config.with_changes(profile="full")))
        == {
            "llm",
            "t2i",
            "clip",
        }
        | full_roles
    )
    if method == "cinemagraph" and mask_method == "auto":
        models = load_models(config)
        loaded = {entry.role for entry in describe(models)}
        assert loaded == {"llm", "lora", "t2i", "clip", "depth", "grounding_dino", "sam"}
        assert models.inpaint is None and models.vit is None and models.clipseg is None


def test_the_inpainting_pipeline_shares_every_part_but_its_unet(tiny_models: ModelSet) -> None:
    t2i, inpaint = tiny_models.t2i, tiny_models.inpaint
    assert inpaint is not None
    for part in ("vae", "text_encoder", "tokenizer", "scheduler"):
        assert getattr(inpaint, part) is getattr(t2i, part), part
    assert inpaint.unet is not t2i.unet
    assert inpaint.unet.config.in_channels == 9
    # Counted once: the inpaint role reports only its UNet.
    loaded = {entry.role: entry.parameters for entry in describe(tiny_models)}
    assert loaded["inpaint"] == sum(p.numel() for p in inpaint.unet.parameters())
