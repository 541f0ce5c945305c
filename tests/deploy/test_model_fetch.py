"""The weights Job / init-container script: manifest written on fetch, checked on verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.runtime.settings import MODEL_ROLES
from tests.deploy.manifests import K8S_DIR, load_module, one, rendered

model_fetch = load_module(K8S_DIR / "overlays" / "gpu" / "model_fetch.py", "model_fetch")


def environment(tmp_path: Path, **sources: str) -> dict[str, str]:
    env = {"CINEALERT_MODEL_CACHE_DIR": str(tmp_path / "hub"), "CINEALERT_MODELS": "full"}
    env.update({f"CINEALERT_MODEL_{role.upper()}": source for role, source in sources.items()})
    return env


def test_sources_are_the_model_role_variables_only(tmp_path: Path) -> None:
    env = environment(tmp_path, t2i="org/sd", lora="/models/lora")
    assert model_fetch.model_sources(env) == {"t2i": "org/sd", "lora": "/models/lora"}


def test_fetch_then_verify_with_local_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = tmp_path / "lora"
    adapter.mkdir()
    env = environment(tmp_path, lora=str(adapter))
    assert model_fetch.fetch(env) == {"lora": str(adapter)}
    assert (tmp_path / "hub" / model_fetch.MANIFEST_NAME).is_file()
    assert model_fetch.verify(env) == {"lora": str(adapter)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert model_fetch.main(["verify"]) == 0
    monkeypatch.setenv("CINEALERT_MODEL_T2I", "org/sd")
    assert model_fetch.main(["verify"]) == 1


def test_verify_refuses_weights_fetched_for_other_sources(tmp_path: Path) -> None:
    adapter = tmp_path / "lora"
    adapter.mkdir()
    model_fetch.fetch(environment(tmp_path, lora=str(adapter)))
    changed = environment(tmp_path, lora=str(adapter), t2i="org/other-sd")
    with pytest.raises(model_fetch.ModelFetchError, match=r"roles \['t2i'\]"):
        model_fetch.verify(changed)


def test_verify_without_a_fetch_names_the_job(tmp_path: Path) -> None:
    with pytest.raises(model_fetch.ModelFetchError, match="cinealert-model-fetch Job"):
        model_fetch.verify(environment(tmp_path, t2i="org/sd"))


def test_missing_local_directory_and_cache_dir_fail(tmp_path: Path) -> None:
    with pytest.raises(model_fetch.ModelFetchError, match="local model directories missing"):
        model_fetch.fetch(environment(tmp_path, lora=str(tmp_path / "absent")))
    with pytest.raises(model_fetch.ModelFetchError, match="CINEALERT_MODEL_CACHE_DIR"):
        model_fetch.verify({"CINEALERT_MODEL_T2I": "org/sd"})


def test_usage_errors_exit_2() -> None:
    assert model_fetch.main([]) == 2
    assert model_fetch.main(["download"]) == 2


def test_gpu_overlay_sources_name_known_roles_and_ship_the_script() -> None:
    objects = rendered("gpu")
    settings_map = next(
        o for o in objects if o["kind"] == "ConfigMap" and "CINEALERT_MODELS" in o.get("data", {})
    )
    sources = model_fetch.model_sources(settings_map["data"])
    assert set(sources) == set(MODEL_ROLES)
    script_map = one(
        objects,
        "ConfigMap",
        next(
            o["metadata"]["name"]
            for o in objects
            if o["metadata"]["name"].startswith("cinealert-model-fetch-")
            and o["kind"] == "ConfigMap"
        ),
    )
    script = (K8S_DIR / "overlays" / "gpu" / "model_fetch.py").read_text(encoding="utf-8")
    assert script_map["data"] == {"model_fetch.py": script}
