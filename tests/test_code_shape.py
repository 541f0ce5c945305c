"""The shape rules of the code base: import directions and module size."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cap", "pipeline", "daemon", "bench")
# Style rule (DESIGN.md): a module does one job; past this it is two modules.
MAX_MODULE_LINES = 400


def test_import_contracts_hold() -> None:
    """lint-imports (import-linter) checks the contracts in pyproject.toml."""
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if linter is None:
        pytest.fail("lint-imports is missing: it is a dev dependency (make install)")
    result = subprocess.run(
        [linter, "--no-cache"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "broken" in result.stdout and ", 0 broken" in result.stdout


def test_every_daemon_subpackage_is_in_a_layer() -> None:
    """A new folder under daemon/ must be placed in the layer contract, not slip past it."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    layered = {name.strip() for layer in layers for name in layer.split("|")}
    subpackages = {
        f"daemon.{path.parent.name}" for path in (REPO_ROOT / "daemon").glob("*/__init__.py")
    }
    assert subpackages <= layered, f"not in any layer: {sorted(subpackages - layered)}"


def test_no_module_is_too_long() -> None:
    too_long = {
        str(path.relative_to(REPO_ROOT)): lines
        for package in PACKAGES
        for path in (REPO_ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"split these along a real seam (limit {MAX_MODULE_LINES}): {too_long}"


def test_every_daemon_subpackage_says_what_it_owns() -> None:
    for init in (REPO_ROOT / "daemon").glob("*/__init__.py"):
        docstring = init.read_text(encoding="utf-8").strip()
        assert docstring.startswith('"""') and "import" in docstring.lower(), (
            f"{init}: the docstring says what the package owns and what it may import"
        )
