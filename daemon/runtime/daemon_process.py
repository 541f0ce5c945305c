"""`cinealert run` as a child process: start it, wait for ``/readyz``, stop or kill it.

`cinealert demo` and the end-to-end tests both run the daemon exactly as production
does, in its own process, so signal handling, start-up warm-up and restarts are the
real ones. The child gets its own session (a Ctrl-C in the terminal reaches only the
parent, which then stops the child in order) and is asked by Linux to receive SIGTERM
when its parent dies, so a crashed demo never leaves a daemon behind.
"""

from __future__ import annotations

import ctypes
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from daemon.runtime import child_process

_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 4000
# Looked up at import, in the parent: the child must not load libraries after fork.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _terminate_with_parent() -> None:
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DaemonProcessError(RuntimeError):
    """The daemon exited or did not become ready; the message carries its log tail."""


@dataclass(frozen=True)
class ReadinessProbe:
    """One ``/readyz`` answer: ready or not, and each check (empty when unreachable)."""

    ready: bool
    checks: dict[str, bool]
    problem: str = ""


# Called while waiting: (seconds waited, latest probe).
WaitProgress = Callable[[float, ReadinessProbe], None]


def probe_readiness(base_url: str, timeout_s: float = 2.0) -> ReadinessProbe:
    """GET ``<base_url>/readyz``; unreachable or garbled answers come back as not ready."""
    url = base_url.rstrip("/") + "/readyz"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        # 503 is the normal "not ready yet" answer and still carries the checks.
        body = error.read()
    except (urllib.error.URLError, OSError) as error:
        return ReadinessProbe(False, {}, f"cannot reach {url}: {error}")
    try:
        document = json.loads(body)
        return ReadinessProbe(bool(document["ready"]), dict(document["checks"]))
    except (ValueError, KeyError, TypeError) as error:
        return ReadinessProbe(False, {}, f"unexpected /readyz answer {body[:200]!r}: {error}")


class DaemonProcess:
    """One ``python -m daemon run`` child with its environment, log file and HTTP URL."""

    def __init__(self, environment: Mapping[str, str], log_path: Path, http_url: str) -> None:
        self.environment = dict(environment)
        self.log_path = log_path
        self.http_url = http_url.rstrip("/")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """Process id while running, else None."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def is_running(self) -> bool:
        """True while the child exists and has not exited."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Spawn the daemon (does not wait for readiness; see `wait_ready`)."""
        if self.is_running():
            raise DaemonProcessError(f"daemon already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "daemon", "run"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment,
                start_new_session=True,
                # The hook only calls prctl, resolved before the fork: no locks, no imports.
                preexec_fn=_terminate_with_parent,  # noqa: PLW1509
            )

    def wait_ready(
        self,
        timeout_s: float,
        *,
        progress: WaitProgress | None = None,
        progress_every_s: float = 5.0,
    ) -> None:
        """Poll ``/readyz`` until ready; raise `DaemonProcessError` if it exits or times out."""
        started = time.monotonic()
        last_report = started
        latest = ReadinessProbe(False, {}, "not probed yet")
        while True:
            waited = time.monotonic() - started
            process = self._process
            if process is None:
                raise DaemonProcessError("daemon not started")
            if process.poll() is not None:
                raise DaemonProcessError(
                    f"daemon exited with status {process.returncode} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            latest = probe_readiness(self.http_url)
            if latest.ready:
                return
            if waited > timeout_s:
                raise DaemonProcessError(
                    f"daemon not ready after {timeout_s:.0f}s (checks {latest.checks or '-'}"
                    f"{'; ' + latest.problem if latest.problem else ''}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if progress is not None and time.monotonic() - last_report >= progress_every_s:
                last_report = time.monotonic()
                progress(waited, latest)
            time.sleep(0.25)

    def stop(self, grace_s: float = 30.0) -> int | None:
        """SIGTERM (the daemon drains and commits), then SIGKILL after ``grace_s``."""
        returncode = child_process.terminate(self._process, grace_s)
        self._process = None
        return returncode

    def kill(self) -> None:
        """SIGKILL at once, as a crash would (fault tests)."""
        child_process.kill(self._process)
        self._process = None

    def log_tail(self) -> str:
        """The last lines the daemon wrote."""
        if not self.log_path.exists():
            return "(no log)"
        data = self.log_path.read_bytes()[-_LOG_TAIL_BYTES:]
        return data.decode("utf-8", errors="replace")
