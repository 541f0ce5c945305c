"""Shared helpers for the deploy tests: load deploy/ modules, render overlays, metric names."""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from daemon.metrics import create_metrics

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
K8S_DIR = DEPLOY_DIR / "k8s"
OVERLAYS = ("dev", "gpu")
CRD_SCHEMA_DIR = Path(__file__).resolve().parent / "crd_schemas"
METRIC_NAME = re.compile(r"\bcinealert_[a-z0-9_]+\b")


def load_module(path: Path, name: str) -> ModuleType:
    """Import a script under deploy/ (not a package) by its path."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def renderer() -> ModuleType:
    """deploy/kustomize_render.py as a module."""
    return load_module(DEPLOY_DIR / "kustomize_render.py", "kustomize_render")


@cache
def _rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(renderer().render(K8S_DIR / "overlays" / overlay))


def rendered(overlay: str) -> list[dict[str, Any]]:
    """The objects `kustomize build deploy/k8s/overlays/<overlay>` yields (rendered once)."""
    return list(_rendered(overlay))


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of ``kind`` (and ``name``) in ``objects``."""
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def exported_metric_names() -> set[str]:
    """Every series name the daemon's registry can expose, with histogram/counter suffixes."""
    names: set[str] = set()
    for family in create_metrics().registry.collect():
        if family.type == "counter":
            names |= {family.name + "_total", family.name + "_created"}
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count", "_created")}
        else:
            names.add(family.name)
    return names


def metric_families() -> set[str]:
    """The daemon's metric family names (counters without their ``_total``)."""
    return {family.name for family in create_metrics().registry.collect()}


def balanced(expression: str) -> bool:
    """True when (), [] and {} nest properly (outside double-quoted label values)."""
    closing = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    in_string = False
    for char in expression:
        if char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char in "([{":
            stack.append(char)
        elif char in closing and (not stack or stack.pop() != closing[char]):
            return False
    return not stack and not in_string
