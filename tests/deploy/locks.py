"""Read deploy/requirements*.lock (uv's hashed requirements format) for the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tests.deploy.manifests import DEPLOY_DIR

FULL_LOCK = DEPLOY_DIR / "requirements.lock"
RUNTIME_LOCK = DEPLOY_DIR / "requirements-runtime.lock"
LOCK_INPUTS = DEPLOY_DIR / "lock.in"

_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    """One ``name==version ; marker`` entry of a lock, with its hashes."""

    name: NormalizedName
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies_here(self) -> bool:
        """Whether this entry is for the running interpreter and platform."""
        return self.marker is None or self.marker.evaluate()


def _entries(text: str) -> list[str]:
    """Logical entries: continuation lines joined, comments dropped."""
    entries: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        entries.append(current + line)
        current = ""
    if current:
        entries.append(current)
    return entries


@cache
def read_lock(path: Path) -> tuple[Pin, ...]:
    """Every pin of a lock file; fails on an entry that is not ``name==version``."""
    pins: list[Pin] = []
    for entry in _entries(path.read_text(encoding="utf-8")):
        hashes = tuple(_HASH.findall(entry))
        requirement = Requirement(_HASH.sub("", entry).strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: not an exact pin: {entry[:80]}"
        pins.append(
            Pin(canonicalize_name(requirement.name), specifier.version, requirement.marker, hashes)
        )
    return tuple(pins)


def pins_here(path: Path) -> dict[NormalizedName, str]:
    """name -> version of the entries that apply to this interpreter."""
    chosen: dict[NormalizedName, str] = {}
    for pin in read_lock(path):
        if pin.applies_here():
            assert pin.name not in chosen, f"{path.name}: two pins of {pin.name} apply here"
            chosen[pin.name] = pin.version
    return chosen
