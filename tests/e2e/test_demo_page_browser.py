"""`make run`'s page of every alert's animation, loaded in a real headless browser.

`test_demo_command.py` runs the demo with ``--exit-when-done``; this test runs it as
`make run` does, serving until it is stopped, so it also covers the serving phase and
the stop by signal. While the daemon serves, Chromium loads the page the demo printed,
and the page's own script reports in ``<body data-media-*>`` how many images and videos
loaded; the DOM dump must show every one loaded and every alert of the stream present.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from daemon.kafka.broker import find_free_port
from tests.e2e.harness import RECORDINGS, expectations_of
from tests.e2e.test_demo_command import table_rows

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PAGE_LINE = re.compile(r"^open (\S+) to see every alert's animation$")
DEMO_TIMEOUT_S = 600.0
BROWSER_TIMEOUT_S = 120.0
# Chromium runs the page's clock ahead by this much once loading is done, so the script
# that waits for the videos finishes without the test sleeping in real time.
VIRTUAL_TIME_BUDGET_MS = 15000


class DemoOutput:
    """The demo's stdout, read on a thread so the test can wait for a line with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._process = process
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout_s: float) -> re.Match[str] | None:
        """The first line matching ``pattern``; None when the demo ended or time ran out."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.lines.append(line)
            if match := pattern.match(line):
                return match
        return None

    def rest(self) -> str:
        """Everything, once the process has exited and its stdout is drained."""
        while (line := self._queue.get(timeout=30)) is not None:
            self.lines.append(line)
        return "\n".join(self.lines)


class BodyAttributes(HTMLParser):
    """The ``<body>`` attributes and the alert sections of a dumped DOM, in order."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.sections: list[str | None] = []
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.body = dict(attrs)
        elif tag == "section":
            self.sections.append(dict(attrs).get("data-alert-identifier"))


def chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with its own profile folder (no state shared between runs)."""
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",  # root in a container: the sandbox cannot start
            "--disable-gpu",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=False,
    )


def test_the_demo_page_shows_every_alert_and_every_animation_loads(tmp_path: Path) -> None:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium (as root; .ci/run does it)")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CINEALERT_")}
    port = find_free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daemon",
            "demo",
            "--speed",
            "0",
            "--port",
            str(port),
            "--work-dir",
            str(tmp_path),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = DemoOutput(demo)
    screenshot = tmp_path / "demo_page.png"
    try:
        found = output.wait_for(PAGE_LINE, DEMO_TIMEOUT_S)
        assert found is not None, "the demo never printed its page:\n" + "\n".join(output.lines)
        page_url = found.group(1)
        dom = chromium(binary, tmp_path / "profile-dom", "--dump-dom", page_url)
        shot = chromium(
            binary,
            tmp_path / "profile-shot",
            "--window-size=1280,2000",
            f"--screenshot={screenshot}",
            page_url,
        )
    finally:
        # What Ctrl-C does in `make run` (the demo treats SIGTERM the same way).
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=120)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
    text = output.rest()
    assert demo.returncode == 0, text
    assert text.rstrip().endswith("stopped"), text
    assert page_url == f"http://127.0.0.1:{port}/media/demo/index.html"
    assert (tmp_path / "media" / "demo" / "index.html").is_file()

    assert dom.returncode == 0, dom.stderr[-3000:]
    page = BodyAttributes(dom.stdout)
    body = page.body
    failed_urls = body.get("data-media-failed-urls")
    assert body.get("data-media-checked") == "true", f"the page's script did not finish: {body}"
    total = int(body["data-media-total"] or 0)
    assert total > 0, body
    assert body["data-media-failed"] == "0", f"media that did not load: {failed_urls}"
    assert body["data-media-loaded"] == str(total), body
    records = [
        json.loads(line)
        for line in (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    # Every medium of every terminal record is on the page (a provisional card adds more).
    assert total >= sum(len(record["media"]) for record in records) > 0

    expected = [e for e in expectations_of(RECORDINGS[0]) if e["expect"] == "record"]
    for entry in expected:
        assert f'data-alert-identifier="{escape(entry["identifier"])}"' in dom.stdout, entry
    # One section per alert, in the order of the results table, then the feeds' alerts.
    stream_rows = [row[1] for row in table_rows(text)]
    assert page.sections[: len(stream_rows)] == stream_rows
    feed_alerts = {"DEMO.FEED.WILDFIRE.1", "DEMO.FEED.TSUNAMI.1"}
    feed_alerts |= {"KR.MOIS.CBS.900001", "KR.MOIS.CBS.900002"}
    assert set(page.sections[len(stream_rows) :]) == feed_alerts
    assert len(page.sections) == len(expected) + 4

    assert shot.returncode == 0, shot.stderr[-3000:]
    assert screenshot.stat().st_size > 10_000, "the screenshot is (nearly) empty"
