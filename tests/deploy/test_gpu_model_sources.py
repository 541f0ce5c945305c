"""The GPU deployment runs the models the memory plan counts.

docs/BENCHMARKS.md "memory" gives the exact GPU memory of the default full profile
(`pipeline.full_models.DEFAULT_SOURCES`); the GPU overlay names its hub ids explicitly
(the model-fetch Job downloads exactly those), so the two lists must not drift apart."""

from __future__ import annotations

from pathlib import Path

from pipeline.full_models import DEFAULT_SOURCES

OVERLAY_SETTINGS = Path(__file__).parents[2] / "deploy/k8s/overlays/gpu/settings.env"
MODEL_PREFIX = "CINEALERT_MODEL_"


def overlay_model_sources() -> dict[str, str]:
    sources = {}
    for line in OVERLAY_SETTINGS.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith(MODEL_PREFIX) and key != "CINEALERT_MODEL_CACHE_DIR":
            sources[key.removeprefix(MODEL_PREFIX).lower()] = value.strip()
    return sources


def test_the_gpu_overlay_deploys_the_default_model_of_every_role() -> None:
    deployed = overlay_model_sources()
    assert set(DEFAULT_SOURCES) <= set(deployed), set(DEFAULT_SOURCES) - set(deployed)
    assert {role: deployed[role] for role in DEFAULT_SOURCES} == dict(DEFAULT_SOURCES)


def test_the_gpu_overlay_adapter_is_a_path_on_the_weights_volume() -> None:
    # No public adapter exists (docs/training.md): the overlay points at a local one.
    assert overlay_model_sources()["lora"].startswith("/models/")
