"""`cinealert broker` as a real subprocess: background and foreground modes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.kafka.broker import find_free_port, probe_kafka

READY = re.compile(r"broker ready: bootstrap 127\.0\.0\.1:(\d+) pid (\d+)")


def _cinealert(*argv: str) -> list[str]:
    return [sys.executable, "-m", "daemon", *argv]


def _wait_gone(pid: int) -> None:
    # The detached broker is not our child once its starter exited; poll until it is gone.
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"broker pid {pid} still alive")


def test_background_broker_outlives_the_command(tmp_path: Path) -> None:
    port = find_free_port()
    log = tmp_path / "broker.log"
    done = subprocess.run(
        _cinealert("broker", "--port", str(port), "--log", str(log)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = READY.search(done.stdout)
    assert done.returncode == 0, done.stderr
    assert match is not None, done.stdout
    pid = int(match.group(2))
    try:
        assert int(match.group(1)) == port
        assert probe_kafka("127.0.0.1", port) == ("127.0.0.1", port)
        assert log.exists()
    finally:
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)


def test_foreground_broker_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        _cinealert("broker", "--port", "0", "--foreground", "--log", str(tmp_path / "b.log")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = READY.search(line)
        assert match is not None, line
        port, pid = int(match.group(1)), int(match.group(2))
        assert probe_kafka("127.0.0.1", port) == ("127.0.0.1", port)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    _wait_gone(pid)
    with pytest.raises(OSError):
        probe_kafka("127.0.0.1", port, timeout_s=1.0)


def test_port_out_of_range_is_reported(tmp_path: Path) -> None:
    done = subprocess.run(
        _cinealert("broker", "--port", "70000", "--log", str(tmp_path / "b.log")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "70000" in done.stderr
