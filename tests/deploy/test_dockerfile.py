"""Static checks of deploy/Dockerfile and .dockerignore (no Docker daemon in CI)."""

from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from daemon.runtime.settings import load_settings
from tests.deploy.locks import RUNTIME_LOCK, read_lock
from tests.deploy.manifests import DEPLOY_DIR, REPO_ROOT, rendered

DOCKERFILE = DEPLOY_DIR / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for kw, arguments in self.instructions if kw == keyword]


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]


def logical_lines(text: str) -> list[str]:
    """Instructions with continuation lines joined and comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "Dockerfile ends inside a continued line"
    return lines


def parse(text: str) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = arguments.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert keyword == "ARG", f"only ARG may precede FROM, found {keyword}"
            key, _, default = arguments.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append((keyword, arguments.strip()))
    return Dockerfile(global_args, stages)


def env_of(stage: Stage) -> dict[str, str]:
    environment: dict[str, str] = {}
    for arguments in stage.all("ENV"):
        for word in shlex.split(arguments):
            key, _, value = word.partition("=")
            environment[key] = value
    return environment


def locked_cuda_version() -> str:
    """CUDA major.minor of the locked torch: the version of its nvidia-cuda-runtime wheel."""
    runtimes = {pin.version for pin in read_lock(RUNTIME_LOCK) if pin.name == "nvidia-cuda-runtime"}
    assert len(runtimes) == 1, f"expected one nvidia-cuda-runtime pin, found {runtimes}"
    major, minor, *_ = next(iter(runtimes)).split(".")
    return f"{major}.{minor}"


def installed_torch_cuda_version() -> str | None:
    """torch.version.cuda of the installed wheel, read without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    version_file = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    match = re.search(r"^cuda(?:: [^=]+)? = '([\d.]+)'", version_file.read_text(), re.MULTILINE)
    return match.group(1) if match else None


DOCKER = parse(DOCKERFILE.read_text(encoding="utf-8"))
RUNTIME = DOCKER.stages[-1]


def test_image_is_multi_stage_with_venv_copied_from_builder() -> None:
    assert [s.name for s in DOCKER.stages] == ["builder", "runtime"]
    assert any(c.startswith("--from=builder /opt/venv") for c in RUNTIME.all("COPY"))
    # Compilers stay in the builder.
    assert not any("build-essential" in r for r in RUNTIME.all("RUN"))


def test_base_image_is_pinned_cuda_runtime_matching_torch() -> None:
    bases = {s.base for s in DOCKER.stages}
    assert len(bases) == 1, "builder and runtime must share the base (same python3 path)"
    (base,) = bases
    repository, _, tag = base.partition(":")
    assert repository == "nvidia/cuda"
    assert tag and tag != "latest" and "-runtime-" in tag
    cuda = locked_cuda_version()
    assert tag.startswith(cuda + "."), f"base {tag} vs the locked torch's CUDA {cuda}"


def test_image_installs_the_runtime_lock_with_hashes() -> None:
    builder = DOCKER.stages[0]
    installs = [r for r in builder.all("RUN") if "pip install" in r]
    assert any(f"--require-hashes -r deploy/{RUNTIME_LOCK.name}" in r for r in installs), installs
    # The project itself adds no dependency the lock did not choose.
    assert any("--no-deps" in r and "--no-build-isolation" in r for r in installs), installs


def test_installed_torch_is_the_lock_cuda_build() -> None:
    """The lock's CUDA reading (nvidia-cuda-runtime) is what the installed torch reports."""
    installed = installed_torch_cuda_version()
    if installed is None:
        pytest.skip("installed torch is not a CUDA build")
    assert installed == locked_cuda_version()


def test_runtime_runs_as_the_non_root_user_the_manifests_expect() -> None:
    (user,) = RUNTIME.all("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert gid.isdigit() and int(gid) != 0
    for overlay in ("dev", "gpu"):
        # The daemon and the feed ingester run the same image.
        deployments = [o for o in rendered(overlay) if o["kind"] == "Deployment"]
        assert len(deployments) == 2
        for deployment in deployments:
            context = deployment["spec"]["template"]["spec"]["securityContext"]
            assert (context["runAsUser"], context["runAsGroup"]) == (int(uid), int(gid))


def test_healthcheck_entrypoint_and_port() -> None:
    (healthcheck,) = RUNTIME.all("HEALTHCHECK")
    assert healthcheck.split("CMD", 1)[1].strip() == '["cinealert", "check"]'
    assert RUNTIME.all("ENTRYPOINT") == ['["cinealert"]']
    assert RUNTIME.all("CMD") == ['["run"]']
    assert RUNTIME.all("EXPOSE") == [str(load_settings(environ=env_of(RUNTIME)).http_port)]


def test_runtime_environment_is_valid_and_writable_paths_are_volumes() -> None:
    environment = env_of(RUNTIME)
    settings = load_settings(
        environ={k: v for k, v in environment.items() if k.startswith("CINEALERT_")}
    )
    assert settings.http_host == "0.0.0.0"
    assert environment["HF_HUB_OFFLINE"] == "1"
    assert environment["HOME"] == "/tmp"
    (volumes,) = RUNTIME.all("VOLUME")
    declared = set(shlex.split(volumes.strip("[]").replace(",", " ")))
    assert declared == {"/tmp", str(settings.media_dir), "/models"}
    assert str(settings.model_cache_dir).startswith("/models/")


def test_dockerignore_allows_exactly_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "allow-list: ignore everything, then re-include"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    builder = DOCKER.stages[0]
    copied = {
        word.rstrip("/")
        for arguments in builder.all("COPY")
        for word in arguments.split()[:-1]
        if not word.startswith("--")
    }
    assert copied == allowed
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    lock = str(RUNTIME_LOCK.relative_to(REPO_ROOT))
    assert packages | {"pyproject.toml", pyproject["project"]["readme"], lock} == allowed
