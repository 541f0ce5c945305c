"""Runs `cinealert run` as a real subprocess for fault tests: start, probe, SIGTERM, kill -9.

Settings go in as CINEALERT_* environment variables, exactly as an operator sets them;
the renderer is the test plug-in (``CINEALERT_RENDERER=tests.support.fake_renderer:build``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from daemon.kafka.broker import find_free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
FAKE_RENDERER = "tests.support.fake_renderer:build"


class DaemonProcessError(AssertionError):
    """The daemon did not start, exited early, or did not become ready; carries its log."""


class DaemonProcess:
    """One `cinealert run` subprocess with its own HTTP port and log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.http_port = find_free_port()
        self.log_path = log_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")},
            "CINEALERT_HTTP_PORT": str(self.http_port),
            "CINEALERT_RENDERER": FAKE_RENDERER,
            "CINEALERT_LOG_FORMAT": "json",
            "PYTHONPATH": str(REPO_ROOT),
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the daemon's HTTP server."""
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        """Launch the process (returns at once; see `wait_ready`)."""
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "daemon", "run"],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def is_running(self) -> bool:
        """True while the process has not exited."""
        return self._process is not None and self._process.poll() is None

    def ready(self) -> bool:
        """One /readyz probe: True on HTTP 200."""
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll /readyz until ready; raise with the log tail if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.is_running():
                raise DaemonProcessError(f"daemon exited early:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.1)
        raise DaemonProcessError(f"daemon not ready after {timeout_s}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no drain, no commit (the crash case)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def terminate(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait for exit; returns the exit status (kills it if it hangs)."""
        process = self._process
        if process is None:
            raise DaemonProcessError("daemon was never started")
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired as error:
                process.kill()
                process.wait()
                raise DaemonProcessError(
                    f"daemon ignored SIGTERM for {timeout_s}s:\n{self.log_tail()}"
                ) from error
        return process.returncode

    def wait_exit(self, timeout_s: float) -> int:
        """Wait for the process to exit on its own; returns its exit status."""
        if self._process is None:
            raise DaemonProcessError("daemon was never started")
        try:
            return self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as error:
            raise DaemonProcessError(
                f"daemon still running after {timeout_s}s:\n{self.log_tail()}"
            ) from error

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the daemon's log."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
