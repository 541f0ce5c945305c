"""`cinealert demo --exit-when-done` (what `make run` does) as a user would run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.kafka.broker import find_free_port
from tests.e2e.harness import RECORDINGS, expectations_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

COLUMNS = ["#", "alert", "hazard", "priority", "status", "time", "media"]
FEED_COLUMNS = ["#", "feed", "alert", "hazard", "status", "media"]


def table_rows(output: str, columns: list[str] | None = None) -> list[list[str]]:
    """The rows of a table in the demo's output (cells split on 2+ spaces): the results
    table, or the one whose header is ``columns``."""
    header = columns or COLUMNS
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if re.split(r"\s{2,}", line) == header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def test_demo_replays_the_bundled_stream_and_prints_every_alert(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")}
    port = find_free_port()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon",
            "demo",
            "--exit-when-done",
            "--speed",
            "0",
            "--port",
            str(port),
            "--work-dir",
            str(tmp_path),
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    output = completed.stdout
    assert completed.returncode == 0, f"{output}\n{completed.stderr}"
    assert "daemon ready after" in output
    rows = {row[1]: row for row in table_rows(output)}
    expected = [e for e in expectations_of(RECORDINGS[0]) if e["expect"] == "record"]
    assert len(rows) == len(expected), output
    for entry in expected:
        row = rows[entry["identifier"]]
        assert row[2] == entry["hazard"], row
        status = row[4].split(" ")[0]
        assert status in entry["status"], (entry, row)
        if status in ("rendered", "cached"):
            url = row[6]
            assert url.startswith(f"http://127.0.0.1:{port}/media/"), row
            # The daemon is stopped now; the file it served is still on disk.
            assert (tmp_path / "media" / url.rsplit("/", 1)[1]).stat().st_size > 0
    assert f"media are viewable at http://127.0.0.1:{port}/media/" in output
    # The feed part: `cinealert ingest` polled the replay server twice; every alert of
    # the sequence got a record with media, and the table names the feed it came from.
    feed_rows = {row[2]: row for row in table_rows(output, FEED_COLUMNS)}
    assert {identifier: row[1] for identifier, row in feed_rows.items()} == {
        "DEMO.FEED.WILDFIRE.1": "demo-index",
        "DEMO.FEED.TSUNAMI.1": "demo-index",
        "KR.MOIS.CBS.900001": "demo-korea",
        "KR.MOIS.CBS.900002": "demo-korea",
    }
    for row in feed_rows.values():
        assert row[4] in ("rendered", "cached"), row
        assert row[5].startswith(f"http://127.0.0.1:{port}/media/"), row
    assert output.rstrip().endswith("stopped")
