"""Shared helpers for the deploy tests: load deploy/ modules, render overlays, metric names."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from daemon.feeds.metrics import create_feed_metrics
from daemon.runtime.metrics import create_metrics
from daemon.runtime.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
K8S_DIR = DEPLOY_DIR / "k8s"
OVERLAYS = ("dev", "gpu")
CRD_SCHEMA_DIR = Path(__file__).resolve().parent / "crd_schemas"
METRIC_NAME = re.compile(r"\bcinealert_[a-z0-9_]+\b")
# The two workloads: (Deployment name, container name).
DAEMON = ("cinealert", "cinealert")
INGEST = ("cinealert-ingest", "ingest")
# What a secretKeyRef variable holds in the tests (the value is never in the manifests).
PLACEHOLDER_SECRET = "value-from-secret"


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


def kubectl() -> str:
    """Path of the kubectl binary; skips the calling test when there is none."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip(
            "kubectl not found: rendering the overlays needs `kubectl kustomize` "
            "(kubectl >= 1.27, kustomize v5) on PATH"
        )
    return path


@cache
def _rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    directory = K8S_DIR / "overlays" / overlay
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"kubectl kustomize {directory} failed ({result.returncode}):\n{result.stderr}"
    )
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d is not None)


def rendered(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize deploy/k8s/overlays/<overlay>` yields (rendered once).

    Skips the calling test when kubectl is not installed; fails when kustomize does.
    """
    return list(_rendered(overlay))


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of ``kind`` (and ``name``) in ``objects``."""
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _series_names(registry: CollectorRegistry) -> set[str]:
    names: set[str] = set()
    for family in registry.collect():
        if family.type == "counter":
            names |= {family.name + "_total", family.name + "_created"}
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count", "_created")}
        else:
            names.add(family.name)
    return names


def exported_metric_names() -> set[str]:
    """Every series name the daemon's registry can expose, with histogram/counter suffixes."""
    return _series_names(create_metrics().registry)


def feed_metric_names() -> set[str]:
    """Every series name the feed ingester's registry (`cinealert ingest`) can expose."""
    return _series_names(create_feed_metrics().registry)


def metric_families() -> set[str]:
    """The daemon's metric family names (counters without their ``_total``)."""
    return {family.name for family in create_metrics().registry.collect()}


def container_of(objects: list[dict[str, Any]], workload: tuple[str, str]) -> dict[str, Any]:
    """The container of ``workload`` (Deployment name, container name) in ``objects``."""
    deployment, name = workload
    pod_spec = one(objects, "Deployment", deployment)["spec"]["template"]["spec"]
    containers: list[dict[str, Any]] = pod_spec["containers"]
    (container,) = [c for c in containers if c["name"] == name]
    return container


def pod_environment(
    objects: list[dict[str, Any]], workload: tuple[str, str] = DAEMON
) -> dict[str, str]:
    """What a container's environment holds: its ConfigMaps plus its env entries."""
    container = container_of(objects, workload)
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        environment.update(one(objects, "ConfigMap", name)["data"])
    for entry in container.get("env", []):
        # Secret values are not in the manifests; the name must still be a valid setting.
        environment[entry["name"]] = entry.get("value", PLACEHOLDER_SECRET)
    return environment


def workload_settings(
    objects: list[dict[str, Any]], workload: tuple[str, str] = DAEMON
) -> Settings:
    """The Settings a container would load from its environment (raises if invalid)."""
    environment = pod_environment(objects, workload)
    return load_settings(
        environ={k: v for k, v in environment.items() if k.startswith("CINEALERT_")}
    )


def secret_env(container: dict[str, Any]) -> dict[str, str]:
    """Variable name -> Secret name for every env entry taken from a Secret."""
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def alert_rules(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every alerting rule of the (one) PrometheusRule, all groups together."""
    spec = one(objects, "PrometheusRule")["spec"]
    return [rule for group in spec["groups"] for rule in group["rules"]]


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
