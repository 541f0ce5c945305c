"""pyproject's floors for the pipeline's libraries exclude the versions seen failing the
pipeline tests (installed beside the lock's other packages, `pytest tests/pipeline`,
2026-12-06) and admit the oldest versions seen passing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# name -> (newest version seen failing and why, oldest version seen passing)
OBSERVED = {
    "transformers": ("5.16.1", "LangSAM in bfloat16: expected BFloat16 but found Float", "5.17.0"),
    "diffusers": ("0.35.0", "does not import with transformers 5 (FLAX_WEIGHTS_NAME)", "0.36.0"),
    "peft": ("0.17.1", "does not import with transformers 5 (HybridCache)", "0.18.0"),
}
# The transformers 4 API (get_text_features returning a tensor) is not supported either.
V4 = ("transformers", "4.57.6")


def _specifiers() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {requirement.name: requirement for requirement in requirements}


@pytest.mark.parametrize("name", sorted(OBSERVED))
def test_floor_excludes_the_failing_and_admits_the_passing_version(name: str) -> None:
    failing, why, passing = OBSERVED[name]
    specifier = _specifiers()[name].specifier
    assert failing not in specifier, f"{name} {failing} is allowed but fails: {why}"
    assert passing in specifier


def test_the_transformers_4_api_is_excluded() -> None:
    name, version = V4
    assert version not in _specifiers()[name].specifier
