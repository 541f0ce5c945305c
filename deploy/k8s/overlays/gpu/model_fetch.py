"""Fetch the daemon's model weights into the weights volume, or verify they are there.

Run by the ``cinealert-model-fetch`` Job (``fetch``) and by the daemon pod's init
container (``verify``), both with the daemon's settings ConfigMap as environment:

- ``CINEALERT_MODEL_<ROLE>``: a Hugging Face hub id (fetched) or an absolute path
  (must already exist on the volume, e.g. the project's own LoRA adapter);
- ``CINEALERT_MODEL_CACHE_DIR``: the hub cache directory on the volume.

``fetch`` downloads every hub id, then writes a manifest of what it fetched;
``verify`` fails unless that manifest matches the configured sources, so a daemon
never starts (and, offline, fails late) on weights that are missing or stale.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

MODEL_ENV_PREFIX = "CINEALERT_MODEL_"
CACHE_DIR_ENV = "CINEALERT_MODEL_CACHE_DIR"
MANIFEST_NAME = "cinealert-fetched-models.json"
# Formats the daemon never loads: skipping them halves the download for repos that
# also carry single-file checkpoints or other frameworks' weights.
ALWAYS_SKIPPED = ["*.ckpt", "*.h5", "*.msgpack", "*.onnx", "*.onnx_data", "*.tflite", "*.ot"]
SKIPPED_WHEN_SAFETENSORS = ["*.bin", "*.pth", "*.pt"]


class ModelFetchError(RuntimeError):
    """Weights cannot be fetched or are not what the settings ask for."""


def model_sources(environ: Mapping[str, str]) -> dict[str, str]:
    """Role (lower case) -> source for every ``CINEALERT_MODEL_<ROLE>`` in ``environ``."""
    return {
        key.removeprefix(MODEL_ENV_PREFIX).lower(): value
        for key, value in environ.items()
        if key.startswith(MODEL_ENV_PREFIX) and key != CACHE_DIR_ENV and value
    }


def cache_dir(environ: Mapping[str, str]) -> Path:
    """The hub cache directory named by ``CINEALERT_MODEL_CACHE_DIR`` (required)."""
    value = environ.get(CACHE_DIR_ENV)
    if not value:
        raise ModelFetchError(f"{CACHE_DIR_ENV} is not set; it must name the weights volume")
    return Path(value)


def is_local(source: str) -> bool:
    """A source is a local directory when it is an absolute path, else a hub id."""
    return source.startswith("/")


def check_local_sources(sources: Mapping[str, str]) -> None:
    """Raise when a local-directory source does not exist on the volume."""
    missing = {role: s for role, s in sources.items() if is_local(s) and not Path(s).is_dir()}
    if missing:
        raise ModelFetchError(f"local model directories missing on the volume: {missing}")


def fetch(environ: Mapping[str, str]) -> dict[str, str]:
    """Download every hub source into the cache, then record them in the manifest."""
    # Imported here: `verify` must run without touching the network libraries.
    from huggingface_hub import list_repo_files, snapshot_download  # noqa: PLC0415

    sources = model_sources(environ)
    target = cache_dir(environ)
    check_local_sources(sources)
    for role, source in sorted(sources.items()):
        if is_local(source):
            continue
        files = list_repo_files(source)
        skipped = list(ALWAYS_SKIPPED)
        if any(name.endswith(".safetensors") for name in files):
            skipped += SKIPPED_WHEN_SAFETENSORS
        print(f"fetching {role}: {source}", flush=True)
        snapshot_download(source, cache_dir=target, ignore_patterns=skipped)
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / MANIFEST_NAME
    manifest.write_text(json.dumps(sources, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {manifest} ({len(sources)} sources)", flush=True)
    return sources


def verify(environ: Mapping[str, str]) -> dict[str, str]:
    """Raise unless the manifest in the cache lists exactly the configured sources."""
    sources = model_sources(environ)
    manifest = cache_dir(environ) / MANIFEST_NAME
    if not manifest.is_file():
        raise ModelFetchError(f"{manifest} not found: run the cinealert-model-fetch Job first")
    fetched = json.loads(manifest.read_text(encoding="utf-8"))
    if fetched != sources:
        differing = sorted(
            role for role in set(fetched) | set(sources) if fetched.get(role) != sources.get(role)
        )
        raise ModelFetchError(
            f"weights on the volume were fetched for other sources (roles {differing}): "
            f"fetched {fetched}, configured {sources}; re-run the cinealert-model-fetch Job"
        )
    check_local_sources(sources)
    return sources


def main(argv: Sequence[str] | None = None) -> int:
    """``model_fetch.py fetch|verify``; exit 0 on success, 1 with a message otherwise."""
    args = list(sys.argv[1:] if argv is None else argv)
    actions = {"fetch": fetch, "verify": verify}
    if len(args) != 1 or args[0] not in actions:
        print("usage: model_fetch.py fetch|verify", file=sys.stderr)
        return 2
    try:
        sources = actions[args[0]](os.environ)
    except ModelFetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args[0]}: ok, {len(sources)} model sources", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
