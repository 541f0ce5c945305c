"""Stopping a child process we started: politely (SIGTERM, then SIGKILL) or at once.

Shared by the embedded broker and the daemon-process helper so both stop their child the
same way and never leave a zombie behind (every path ends in ``wait``).
"""

from __future__ import annotations

import signal
import subprocess


def terminate(process: subprocess.Popen[bytes] | None, grace_s: float) -> int | None:
    """SIGTERM, then SIGKILL if it has not exited after ``grace_s`` seconds; return the
    exit code (negative signal number when a signal ended it). A process that has
    already exited is only reaped; ``None`` (never started, or already stopped) gives
    ``None``, so owners can pass their optional handle straight in."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            # It ignored or outlived SIGTERM: SIGKILL cannot be refused.
            process.kill()
    return process.wait()


def kill(process: subprocess.Popen[bytes] | None) -> int | None:
    """SIGKILL at once, as a crash would, and reap it; return the exit code
    (``None`` for ``None``, as `terminate`)."""
    if process is None:
        return None
    if process.poll() is None:
        process.kill()
    return process.wait()
