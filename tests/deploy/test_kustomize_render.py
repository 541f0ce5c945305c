"""The Python kustomize renderer: the subset it supports, its errors, and parity with kustomize."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import K8S_DIR, OVERLAYS, renderer

kr = renderer()

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: main
          image: registry.example/web:1.0
          envFrom: [{configMapRef: {name: settings}}]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
      volumes:
        - name: data
          emptyDir: {}
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return directory


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


def test_generated_config_map_name_has_kustomize_hash(tmp_path: Path) -> None:
    # Value produced by `kustomize build` (v5.5) for this exact generator.
    write(tmp_path, {"kustomization.yaml": "configMapGenerator:\n- name: x\n  literals: [a=b]\n"})
    (config_map,) = kr.render(tmp_path)
    assert config_map["metadata"]["name"] == "x-4h2mbtbbt6"
    assert config_map["data"] == {"a": "b"}


def test_overlay_merges_generator_patches_and_renames_references(tmp_path: Path) -> None:
    write(
        tmp_path / "base",
        {
            "kustomization.yaml": """
                resources: [deployment.yaml]
                configMapGenerator:
                  - name: settings
                    envs: [settings.env]
            """,
            "deployment.yaml": DEPLOYMENT,
            "settings.env": "# comment\nKEY=base\nOTHER=kept\n",
        },
    )
    overlay = write(
        tmp_path / "overlay",
        {
            "kustomization.yaml": """
                namespace: prod
                resources: [../base]
                labels:
                  - pairs: {team: alerts}
                    includeTemplates: true
                images:
                  - name: registry.example/web
                    newTag: "2.0"
                configMapGenerator:
                  - name: settings
                    behavior: merge
                    literals: [KEY=overlay]
                patches:
                  - path: patch.yaml
            """,
            "patch.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      containers:
                        - name: main
                          env: [{name: C, value: "3"}, {name: A, value: "10"}]
                      volumes:
                        - name: data
                          emptyDir: null
                          persistentVolumeClaim: {claimName: data}
            """,
        },
    )
    objects = kr.render(overlay)
    config_map = by_kind(objects, "ConfigMap")
    deployment = by_kind(objects, "Deployment")
    assert config_map["data"] == {"KEY": "overlay", "OTHER": "kept"}
    assert config_map["metadata"]["name"].startswith("settings-")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"][0]["configMapRef"]["name"] == config_map["metadata"]["name"]
    assert container["image"] == "registry.example/web:2.0"
    # Strategic merge: patch elements first (merged), untouched base elements after.
    assert container["env"] == [
        {"name": "C", "value": "3"},
        {"name": "A", "value": "10"},
        {"name": "B", "value": "2"},
    ]
    assert deployment["spec"]["template"]["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    assert {o["metadata"]["namespace"] for o in objects} == {"prod"}
    assert deployment["metadata"]["labels"] == {"team": "alerts"}
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "web", "team": "alerts"}
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    # Same input, same hash: a settings change is the only thing that renames it.
    assert kr.render(overlay) == objects


def test_json6902_patch_and_delete_directive(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        {
            "kustomization.yaml": """
                resources: [deployment.yaml]
                patches:
                  - target: {kind: Deployment, name: web}
                    patch: |-
                      - op: add
                        path: /spec/replicas
                        value: 3
                      - op: replace
                        path: /spec/template/spec/containers/0/image
                        value: other:9
                  - patch: |-
                      apiVersion: apps/v1
                      kind: Deployment
                      metadata: {name: web}
                      spec:
                        template:
                          spec:
                            containers:
                              - name: main
                                env: [{name: B, $patch: delete}]
            """,
            "deployment.yaml": DEPLOYMENT,
        },
    )
    (deployment,) = kr.render(directory)
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "other:9"
    assert container["env"] == [{"name": "A", "value": "1"}]


@pytest.mark.parametrize(
    ("kustomization", "message"),
    [
        ("commonLabels: {a: b}\n", "unsupported kustomization keys ['commonLabels']"),
        ("resources: [missing.yaml]\n", "resource 'missing.yaml' does not exist"),
        (
            "resources: [deployment.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n",
            "includeSelectors",
        ),
        (
            "resources: [deployment.yaml]\n"
            "patches: [{patch: '{kind: Service, metadata: {name: x}}'}]\n",
            "matches no resource",
        ),
        ("resources: [deployment.yaml, deployment.yaml]\n", "duplicate resource Deployment/web"),
    ],
)
def test_unsupported_or_broken_kustomizations_fail_loudly(
    tmp_path: Path, kustomization: str, message: str
) -> None:
    write(tmp_path, {"kustomization.yaml": kustomization, "deployment.yaml": DEPLOYMENT})
    with pytest.raises(kr.KustomizeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        kr.render(tmp_path)


def test_command_line_prints_yaml_and_reports_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kr.main([str(K8S_DIR / "overlays" / "dev")]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    assert {"Deployment", "ConfigMap", "Service"} <= {d["kind"] for d in documents}
    assert kr.main([str(tmp_path)]) == 1
    assert "no kustomization.yaml" in capsys.readouterr().err


def kubectl_kustomize_major() -> int | None:
    """Major version of the kustomize built into kubectl, None without kubectl."""
    if shutil.which("kubectl") is None:
        return None
    result = subprocess.run(
        ["kubectl", "version", "--client"], capture_output=True, text=True, timeout=60, check=True
    )
    match = re.search(r"Kustomize Version: v(\d+)\.", result.stdout)
    return int(match.group(1)) if match else None


@pytest.mark.skipif(
    (kubectl_kustomize_major() or 0) < 5, reason="kubectl with kustomize v5 not installed"
)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_real_kustomize(overlay: str) -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S_DIR / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert kr.render(K8S_DIR / "overlays" / overlay) == list(yaml.safe_load_all(result.stdout))


@pytest.mark.parametrize(
    ("reference", "image", "expected"),
    [
        ("web:1.0", {"name": "web", "newTag": "2.0"}, "web:2.0"),
        ("web", {"name": "web", "newName": "reg.example/web"}, "reg.example/web"),
        ("web:1.0", {"name": "web", "newName": "reg.example/web"}, "reg.example/web:1.0"),
        ("web:1.0", {"name": "web", "digest": "sha256:abc"}, "web@sha256:abc"),
        (
            "reg.example:5000/web",
            {"name": "reg.example:5000/web", "newTag": "3"},
            "reg.example:5000/web:3",
        ),
        ("other:1.0", {"name": "web", "newTag": "2.0"}, "other:1.0"),
    ],
)
def test_image_rewrites(reference: str, image: dict[str, str], expected: str) -> None:
    assert kr._rewrite_image(reference, image) == expected
