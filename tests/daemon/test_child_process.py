"""`daemon.runtime.child_process` on real child processes: SIGTERM honoured, SIGTERM ignored
(escalates to SIGKILL), SIGKILL at once, an already-exited child only reaped, and no
child at all a no-op."""

from __future__ import annotations

import signal
import subprocess
import sys

from daemon.runtime import child_process

# Prints "ready" only once its SIGTERM disposition is set, so the test never races it.
_CHILD = """
import signal, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(120)
"""


def _start(mode: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", _CHILD, mode], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.stdout.close()  # it writes nothing more
    return process


def test_terminate_returns_the_sigterm_exit_code() -> None:
    process = _start("default")
    assert child_process.terminate(process, grace_s=30.0) == -signal.SIGTERM
    assert process.poll() == -signal.SIGTERM


def test_terminate_escalates_to_sigkill_when_sigterm_is_ignored() -> None:
    process = _start("ignore")
    assert child_process.terminate(process, grace_s=0.5) == -signal.SIGKILL


def test_kill_is_immediate_and_reaps() -> None:
    process = _start("ignore")
    assert child_process.kill(process) == -signal.SIGKILL
    assert process.poll() == -signal.SIGKILL


def test_an_exited_child_is_only_reaped() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    assert child_process.terminate(process, grace_s=30.0) == 3
    assert child_process.kill(process) == 3


def test_no_process_is_a_no_op() -> None:
    assert child_process.terminate(None, grace_s=30.0) is None
    assert child_process.kill(None) is None
