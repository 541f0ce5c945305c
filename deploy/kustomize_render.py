"""Render the kustomize subset used by deploy/k8s, without a kustomize binary.

CI has no kustomize; this module builds an overlay the way `kustomize build` (v5)
does for the features the cinealert manifests use, so tests can validate exactly
what an operator would apply. Supported kustomization keys: ``resources`` (files
and directories), ``namespace``, ``labels`` (``includeSelectors: false`` only),
``images``, ``configMapGenerator`` (literals, envs, files; behaviours create/merge/
replace; kustomize's content-hash name suffix) and ``patches`` (strategic-merge for
built-in kinds, JSON 6902 add/remove/replace). Anything else raises
:class:`KustomizeError` naming the offending key, so a manifest never relies on a
feature this renderer would silently ignore.

Usage: ``python deploy/kustomize_render.py deploy/k8s/overlays/gpu | kubectl apply -f -``
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILE = "kustomization.yaml"
SUPPORTED_KEYS = frozenset(
    {
        "apiVersion",
        "kind",
        "resources",
        "namespace",
        "labels",
        "images",
        "configMapGenerator",
        "patches",
    }
)
# Kinds kustomize leaves without a namespace (the ones a cinealert deploy could meet).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "PriorityClass",
        "StorageClass",
        "RuntimeClass",
    }
)
# Kinds whose pod template gets labels with `includeTemplates` and image rewrites.
WORKLOAD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Strategic-merge list keys of the built-in pod fields these manifests patch. Lists not
# named here are replaced wholesale, as a JSON merge patch would.
STRATEGIC_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}
GENERATOR_BEHAVIOURS = ("create", "merge", "replace")


class KustomizeError(ValueError):
    """A kustomization cannot be rendered; ``where`` names the file and ``problem`` why."""

    def __init__(self, where: Path | str, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{where}: {problem}")


@dataclass
class _Resource:
    """One rendered object, remembering whether a generator made it (hash suffix)."""

    body: dict[str, Any]
    generated: bool = False

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.body.get("metadata", {}).get("name", ""))


def render(directory: Path) -> list[dict[str, Any]]:
    """Build the kustomization in ``directory``; returns the objects in output order."""
    resources = _build(directory.resolve(), stack=())
    _apply_generated_name_hashes(resources)
    return [r.body for r in sorted(resources, key=_output_order)]


def render_yaml(directory: Path) -> str:
    """Build ``directory`` and return a multi-document YAML stream for `kubectl apply -f -`."""
    return yaml.safe_dump_all(render(directory), sort_keys=False, default_flow_style=False)


# -- building ---------------------------------------------------------------------------


def _build(directory: Path, stack: tuple[Path, ...]) -> list[_Resource]:
    if directory in stack:
        raise KustomizeError(directory, f"resource cycle through {[str(p) for p in stack]}")
    kfile = directory / KUSTOMIZATION_FILE
    if not kfile.is_file():
        raise KustomizeError(directory, f"no {KUSTOMIZATION_FILE} in this directory")
    spec = _load_mapping(kfile)
    unknown = sorted(set(spec) - SUPPORTED_KEYS)
    if unknown:
        raise KustomizeError(kfile, f"unsupported kustomization keys {unknown}")

    resources: list[_Resource] = []
    for entry in _string_list(spec, "resources", kfile):
        path = (directory / entry).resolve()
        if path.is_dir():
            resources.extend(_build(path, (*stack, directory)))
        elif path.is_file():
            resources.extend(_Resource(doc) for doc in _load_documents(path))
        else:
            raise KustomizeError(kfile, f"resource {entry!r} does not exist")
    _check_unique(resources, kfile)

    for generator in spec.get("configMapGenerator", []) or []:
        _run_config_map_generator(generator, directory, kfile, resources)
    for patch in spec.get("patches", []) or []:
        _apply_patch(patch, directory, kfile, resources)
    if "namespace" in spec:
        _set_namespace(resources, str(spec["namespace"]))
    for label_set in spec.get("labels", []) or []:
        _apply_labels(label_set, kfile, resources)
    for image in spec.get("images", []) or []:
        _apply_image(image, kfile, resources)
    return resources


def _load_mapping(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise KustomizeError(path, f"expected a YAML mapping, got {type(data).__name__}")
    return data


def _load_documents(path: Path) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise KustomizeError(path, f"not a Kubernetes object: {str(doc)[:80]!r}")
    return docs


def _string_list(spec: Mapping[str, Any], key: str, where: Path) -> list[str]:
    value = spec.get(key, []) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KustomizeError(where, f"{key} must be a list of strings, got {value!r}")
    return value


def _identity(body: Mapping[str, Any]) -> tuple[str, str]:
    return str(body.get("kind")), str(body.get("metadata", {}).get("name"))


def _check_unique(resources: Sequence[_Resource], where: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for r in resources:
        ident = _identity(r.body)
        if ident in seen:
            raise KustomizeError(where, f"duplicate resource {ident[0]}/{ident[1]}")
        seen.add(ident)


# -- configMapGenerator -------------------------------------------------------------------


def _run_config_map_generator(
    generator: Mapping[str, Any], directory: Path, kfile: Path, resources: list[_Resource]
) -> None:
    name = generator.get("name")
    if not isinstance(name, str) or not name:
        raise KustomizeError(kfile, f"configMapGenerator entry without a name: {generator!r}")
    behaviour = generator.get("behavior", "create")
    if behaviour not in GENERATOR_BEHAVIOURS:
        raise KustomizeError(kfile, f"configMapGenerator {name}: behavior {behaviour!r}")
    unknown = sorted(set(generator) - {"name", "behavior", "literals", "envs", "files"})
    if unknown:
        raise KustomizeError(kfile, f"configMapGenerator {name}: unsupported keys {unknown}")

    data: dict[str, str] = {}
    for literal in generator.get("literals", []) or []:
        data.update([_split_assignment(str(literal), kfile)])
    for env_file in generator.get("envs", []) or []:
        data.update(_read_env_file(directory / env_file))
    for file_entry in generator.get("files", []) or []:
        key, _, rel = str(file_entry).rpartition("=")
        path = directory / rel
        if not path.is_file():
            raise KustomizeError(kfile, f"configMapGenerator {name}: no file {rel!r}")
        data[key or path.name] = path.read_text(encoding="utf-8")

    existing = next(
        (r for r in resources if r.kind == "ConfigMap" and r.name == name and r.generated), None
    )
    if behaviour == "create":
        if existing is not None:
            raise KustomizeError(kfile, f"configMapGenerator {name} already exists; use merge")
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
        resources.append(_Resource(body, generated=True))
        return
    if existing is None:
        raise KustomizeError(kfile, f"configMapGenerator {name}: nothing to {behaviour}")
    if behaviour == "merge":
        existing.body.setdefault("data", {}).update(data)
    else:
        existing.body["data"] = data


def _split_assignment(line: str, where: Path) -> tuple[str, str]:
    key, sep, value = line.partition("=")
    if not sep or not key.strip():
        raise KustomizeError(where, f"expected KEY=VALUE, got {line!r}")
    return key.strip(), value


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise KustomizeError(path, "env file does not exist")
    data: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, value = _split_assignment(line, path)
        data[key] = value
    return data


_HASH_CHARACTER_SWAPS = str.maketrans("013ae", "ghkmt")


def _kustomize_hash(config_map: Mapping[str, Any]) -> str:
    """The 10-character suffix kustomize derives from a generated ConfigMap's data."""
    # kustomize hashes the generator's output before it names it: the name is empty.
    encoded = json.dumps(
        {"data": config_map.get("data", {}), "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # Go's encoding/json escapes these; the hash must see the same bytes kustomize hashes.
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escaped)
    digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10]
    # kustomize swaps a few characters so the suffix cannot read as a number or word.
    return digest.translate(_HASH_CHARACTER_SWAPS)


def _apply_generated_name_hashes(resources: list[_Resource]) -> None:
    renames: dict[str, str] = {}
    for r in resources:
        if r.generated:
            new_name = f"{r.name}-{_kustomize_hash(r.body)}"
            renames[r.name] = new_name
            r.body["metadata"]["name"] = new_name
    for r in resources:
        for pod_spec in _pod_specs(r.body):
            _rename_config_map_references(pod_spec, renames)


def _rename_config_map_references(pod_spec: dict[str, Any], renames: Mapping[str, str]) -> None:
    def rename(ref: dict[str, Any] | None) -> None:
        if ref is not None and ref.get("name") in renames:
            ref["name"] = renames[ref["name"]]

    for volume in pod_spec.get("volumes", []) or []:
        rename(volume.get("configMap"))
        for source in (volume.get("projected") or {}).get("sources", []) or []:
            rename(source.get("configMap"))
    for container in _containers(pod_spec):
        for env_from in container.get("envFrom", []) or []:
            rename(env_from.get("configMapRef"))
        for env in container.get("env", []) or []:
            rename((env.get("valueFrom") or {}).get("configMapKeyRef"))


# -- transformers -------------------------------------------------------------------------


def _pod_templates(body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    path = WORKLOAD_TEMPLATE_PATHS.get(str(body.get("kind")))
    if path is None:
        return
    node: Any = body
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    if isinstance(node, dict):
        yield node


def _pod_specs(body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for template in _pod_templates(body):
        spec = template.get("spec")
        if isinstance(spec, dict):
            yield spec


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod_spec.get(key, []) or []


def _set_namespace(resources: Sequence[_Resource], namespace: str) -> None:
    for r in resources:
        if r.kind not in CLUSTER_SCOPED_KINDS:
            r.body["metadata"]["namespace"] = namespace


def _apply_labels(
    label_set: Mapping[str, Any], kfile: Path, resources: Sequence[_Resource]
) -> None:
    unknown = sorted(set(label_set) - {"pairs", "includeSelectors", "includeTemplates"})
    if unknown:
        raise KustomizeError(kfile, f"labels: unsupported keys {unknown}")
    if label_set.get("includeSelectors", False):
        # Selectors are immutable on a live Deployment; this subset never rewrites them.
        raise KustomizeError(kfile, "labels: includeSelectors: true is not supported")
    pairs = {str(k): str(v) for k, v in (label_set.get("pairs") or {}).items()}
    for r in resources:
        r.body["metadata"].setdefault("labels", {}).update(pairs)
        if label_set.get("includeTemplates", False):
            for template in _pod_templates(r.body):
                template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _apply_image(image: Mapping[str, Any], kfile: Path, resources: Sequence[_Resource]) -> None:
    unknown = sorted(set(image) - {"name", "newName", "newTag", "digest"})
    if unknown or "name" not in image:
        raise KustomizeError(kfile, f"images entry {dict(image)!r}: needs name; unknown {unknown}")
    for r in resources:
        for pod_spec in _pod_specs(r.body):
            for container in _containers(pod_spec):
                container["image"] = _rewrite_image(str(container.get("image", "")), image)


def _split_image(reference: str) -> tuple[str, str]:
    """Split ``repo[:tag][@digest]`` into name and the tag/digest suffix (with separator)."""
    if "@" in reference:
        name, _, digest = reference.partition("@")
        return name, "@" + digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon:]
    return reference, ""


def _rewrite_image(reference: str, image: Mapping[str, Any]) -> str:
    name, suffix = _split_image(reference)
    if name != image["name"]:
        return reference
    new_name = str(image.get("newName", name))
    if "digest" in image:
        return f"{new_name}@{image['digest']}"
    if "newTag" in image:
        return f"{new_name}:{image['newTag']}"
    return new_name + suffix


# -- patches -----------------------------------------------------------------------------


def _apply_patch(
    entry: Mapping[str, Any], directory: Path, kfile: Path, resources: Sequence[_Resource]
) -> None:
    unknown = sorted(set(entry) - {"path", "patch", "target"})
    if unknown:
        raise KustomizeError(kfile, f"patches: unsupported keys {unknown}")
    if "path" in entry:
        patch_file = directory / str(entry["path"])
        if not patch_file.is_file():
            raise KustomizeError(kfile, f"patch file {entry['path']!r} does not exist")
        content = yaml.safe_load(patch_file.read_text(encoding="utf-8"))
    elif "patch" in entry:
        content = yaml.safe_load(str(entry["patch"]))
    else:
        raise KustomizeError(kfile, f"patch entry needs path or patch: {dict(entry)!r}")

    target = entry.get("target")
    if isinstance(content, list):
        if not isinstance(target, dict):
            raise KustomizeError(kfile, "a JSON 6902 patch needs a target")
        matched = _matching(resources, target, kfile)
        for r in matched:
            r.body = _apply_json6902(r.body, content, kfile)
        return
    if not isinstance(content, dict):
        raise KustomizeError(kfile, f"patch is neither a mapping nor a list: {content!r}")
    if isinstance(target, dict):
        selector: Mapping[str, Any] = target
    else:
        kind, name = _identity(content)
        selector = {"kind": kind, "name": name}
    for r in _matching(resources, selector, kfile):
        patch_body = copy.deepcopy(content)
        if isinstance(target, dict):
            # A targeted patch may name any object; the target decides where it lands.
            patch_body.pop("metadata", None)
        r.body = strategic_merge(r.body, patch_body)


def _matching(
    resources: Sequence[_Resource], target: Mapping[str, Any], kfile: Path
) -> list[_Resource]:
    unknown = sorted(set(target) - {"kind", "name", "group", "version"})
    if unknown:
        raise KustomizeError(kfile, f"patch target: unsupported keys {unknown}")
    matched = [
        r
        for r in resources
        if r.kind == target.get("kind", r.kind) and r.name == target.get("name", r.name)
    ]
    if not matched:
        raise KustomizeError(kfile, f"patch target {dict(target)!r} matches no resource")
    return matched


def strategic_merge(base: Any, patch: Any) -> Any:
    """Merge ``patch`` into ``base`` with Kubernetes strategic-merge rules for pod fields.

    Maps merge recursively, ``null`` deletes a key, lists named in
    :data:`STRATEGIC_MERGE_KEYS` merge element-wise by their key (an element with
    ``$patch: delete`` removes its match) and other lists are replaced.
    """
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key in STRATEGIC_MERGE_KEYS and isinstance(value, list):
            merged[key] = _merge_keyed_list(
                merged.get(key, []) or [], value, STRATEGIC_MERGE_KEYS[key]
            )
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = strategic_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_keyed_list(
    base: list[dict[str, Any]], patch: list[dict[str, Any]], merge_key: str
) -> list[dict[str, Any]]:
    # Like kustomize: the patch's elements first, in patch order (merged with their
    # base match), then the base elements the patch did not mention.
    by_key = {item.get(merge_key): item for item in base}
    result: list[dict[str, Any]] = []
    for item in patch:
        if merge_key not in item:
            raise KustomizeError("<patch>", f"list item without merge key {merge_key!r}: {item}")
        match = by_key.get(item[merge_key])
        if item.get("$patch") == "delete":
            continue
        result.append(copy.deepcopy(item) if match is None else strategic_merge(match, item))
    mentioned = {item[merge_key] for item in patch}
    result.extend(copy.deepcopy(b) for b in base if b.get(merge_key) not in mentioned)
    return result


def _apply_json6902(body: dict[str, Any], operations: list[Any], kfile: Path) -> dict[str, Any]:
    document = copy.deepcopy(body)
    for op in operations:
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace"):
            raise KustomizeError(kfile, f"JSON 6902 operation not supported: {op!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op["path"]).split("/")[1:]]
        if not parts:
            raise KustomizeError(kfile, f"JSON 6902 path must not be the root: {op!r}")
        parent: Any = document
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.get(part)
            if parent is None:
                raise KustomizeError(kfile, f"JSON 6902 path {op['path']!r} does not exist")
        last = parts[-1]
        if isinstance(parent, list):
            if op["op"] == "add":
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            elif op["op"] == "remove":
                del parent[int(last)]
            else:
                parent[int(last)] = op["value"]
        elif op["op"] == "remove" or (op["op"] == "replace" and last not in parent):
            if last not in parent:
                raise KustomizeError(kfile, f"JSON 6902 path {op['path']!r} does not exist")
            if op["op"] == "remove":
                del parent[last]
        else:
            parent[last] = op["value"]
    return document


# -- output ------------------------------------------------------------------------------

# kustomize's default ("legacy") output order: kinds others depend on come first, a
# few last, and everything else sorted by group, version and kind, then by name.
_ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
_ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def _output_order(r: _Resource) -> tuple[int, int, str, str, str, str]:
    group, _, version = str(r.body.get("apiVersion", "")).rpartition("/")
    if r.kind in _ORDER_FIRST:
        band, rank = 0, _ORDER_FIRST.index(r.kind)
    elif r.kind in _ORDER_LAST:
        band, rank = 2, _ORDER_LAST.index(r.kind)
    else:
        band, rank = 1, 0
    return band, rank, group, version, r.kind, r.name


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the rendered YAML of one kustomization directory."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python deploy/kustomize_render.py DIRECTORY", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render_yaml(Path(args[0])))
    except KustomizeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
