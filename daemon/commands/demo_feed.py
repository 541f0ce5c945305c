"""The demo's feed part: `cinealert ingest` polls a local server that replays a short
feed sequence, and the alerts it produces get their records like the stream's.

The sequence has two polls. First an ATOM index links one CAP alert, and a Korean
disaster-message feed (JSON, turned into CAP by the ingester) carries two messages.
Then the index links a second alert and no longer the first — an alert gone from a feed
is not a cancellation, so the first keeps its record — and the Korean feed is unchanged
(nothing is produced twice). Dates are the demo's "now", so nothing has expired.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from aiohttp import web

from daemon.feeds.korea import messages_to_cap
from daemon.kafka.broker import find_free_port
from daemon.runtime.settings import Settings, env_name
from daemon.streams.demo_results import (
    ExpectedResults,
    ResultBoard,
    align_table,
    expected_results,
    primary_media_url,
    status_text,
)
from daemon.streams.format import StreamMessage
from daemon.streams.record_collector import RecordCollector

KST = timezone(timedelta(hours=9))
CAP_SENDER = "alerts@feed-demo.example.org"
INGEST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class FeedStep:
    """What the server answers during one poll: path -> (bytes, content type)."""

    documents: dict[str, tuple[bytes, str]]


def _cap(identifier: str, event: str, category: str, area: str, now: datetime) -> bytes:
    sent = now.replace(microsecond=0)
    expires = sent + timedelta(hours=6)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>{CAP_SENDER}</sender>
  <sent>{sent.isoformat()}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en-US</language>
    <category>{category}</category>
    <event>{event}</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <expires>{expires.isoformat()}</expires>
    <headline>{event} for {area} (from the demo feed)</headline>
    <area><areaDesc>{area}</areaDesc></area>
  </info>
</alert>
""".encode()


def _index(links: list[str]) -> bytes:
    entries = "".join(
        f"<entry><id>{link}</id><title>{link}</title><updated>2026-01-01T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{link}"/></entry>'
        for link in links
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>urn:cinealert:demo-feed</id><title>demo feed</title>"
        f"<updated>2026-01-01T00:00:00Z</updated>{entries}</feed>"
    ).encode()


def _korean(now: datetime) -> bytes:
    created = (now.astimezone(KST) - timedelta(minutes=1)).strftime("%Y/%m/%d %H:%M:%S")
    items = [
        {
            "SN": 900001,
            "CRT_DT": created,
            "MSG_CN": "[행정안전부] 대설경보 발령. 외출을 자제하고 차량 운행 시 안전에 유의하세요.",
            "RCPTN_RGN_NM": "강원특별자치도 전체",
            "EMRG_STEP_NM": "긴급재난",
            "DST_SE_NM": "대설",
        },
        {
            "SN": 900002,
            "CRT_DT": created,
            "MSG_CN": "[기상청] 규모 5.1 지진 발생. 낙하물로부터 몸을 보호하고 여진에 주의하세요.",
            "RCPTN_RGN_NM": "경상북도 전체",
            "EMRG_STEP_NM": "위급재난",
            "DST_SE_NM": "지진",
        },
    ]
    return json.dumps({"header": {"resultCode": "00"}, "body": items}, ensure_ascii=False).encode()


def feed_sequence(now: datetime) -> list[FeedStep]:
    """The two polls' answers."""
    first = _cap("DEMO.FEED.WILDFIRE.1", "Fire Warning", "Fire", "Pine Ridge", now)
    second = _cap("DEMO.FEED.TSUNAMI.1", "Tsunami Warning", "Geo", "Coastal Zone 4", now)
    korean = (_korean(now), "application/json")
    xml = "application/cap+xml"
    return [
        FeedStep(
            {
                "/index.atom": (_index(["/cap/wildfire.xml"]), "application/atom+xml"),
                "/cap/wildfire.xml": (first, xml),
                "/kr.json": korean,
            }
        ),
        FeedStep(
            {
                "/index.atom": (_index(["/cap/tsunami.xml"]), "application/atom+xml"),
                "/cap/tsunami.xml": (second, xml),
                "/kr.json": korean,
            }
        ),
    ]


def feed_list(origin: str) -> str:
    """The feed list the demo's ingester reads."""
    return (
        f'[[feed]]\nname = "demo-index"\nurl = "http://{origin}/index.atom"\n'
        'format = "atom-index"\n\n'
        f'[[feed]]\nname = "demo-korea"\nurl = "http://{origin}/kr.json"\n'
        'format = "kr-disaster-message"\n'
    )


def expected_from(sequence: list[FeedStep]) -> tuple[ExpectedResults, dict[str, str]]:
    """Every alert the sequence carries (what must get a record), and each one's feed."""
    documents: list[tuple[str, bytes]] = []
    for step in sequence:
        for path, (data, _type) in step.documents.items():
            if path.startswith("/cap/"):
                documents.append(("demo-index", data))
            elif path == "/kr.json":
                documents.extend(("demo-korea", cap) for cap in messages_to_cap(data))
    expected = expected_results(StreamMessage(t=0.0, value=data) for _feed, data in documents)
    feeds: dict[str, str] = {}
    for feed, data in documents:
        for key in expected_results([StreamMessage(t=0.0, value=data)]).alerts:
            feeds[key[1]] = feed
    return expected, feeds


async def run_feed_demo(
    settings: Settings,
    environment: dict[str, str],
    work_dir: Path,
    *,
    timeout_s: float,
    report: Callable[[str], None],
) -> tuple[ResultBoard, dict[str, str]]:
    """Serve the sequence, run one `cinealert ingest --once` per step, collect records."""
    sequence = feed_sequence(datetime.now(UTC))
    expected, feeds = expected_from(sequence)
    step_box = [sequence[0]]

    async def answer(request: web.Request) -> web.Response:
        found = step_box[0].documents.get(request.path)
        if found is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=found[0], content_type=found[1])

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    origin = f"127.0.0.1:{port}"
    feeds_file = work_dir / "demo-feeds.toml"
    feeds_file.write_text(feed_list(origin), encoding="utf-8")
    child_env = {**environment, env_name("ingest_allowed_hosts"): origin}
    board = ResultBoard(expected)
    try:
        async with RecordCollector(settings, board, report) as collector:
            for number, step in enumerate(sequence, start=1):
                step_box[0] = step
                report(f"  feed poll {number}/{len(sequence)}: cinealert ingest --once")
                await _ingest_once(feeds_file, child_env, work_dir / "ingest.log")
                await collector.poll()
            await collector.until_complete(timeout_s)
    finally:
        await runner.cleanup()
    return board, feeds


async def _ingest_once(feeds_file: Path, environment: dict[str, str], log: Path) -> None:
    with log.open("ab") as output:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "daemon.cli",
            "ingest",
            "--feeds",
            str(feeds_file),
            "--once",
            env=environment,
            stdout=output,
            stderr=output,
            cwd=os.getcwd(),
        )
        try:
            status = await asyncio.wait_for(child.wait(), INGEST_TIMEOUT_S)
        except TimeoutError:
            child.kill()
            raise OSError(f"cinealert ingest did not finish in {INGEST_TIMEOUT_S:.0f}s") from None
    if status != 0:
        raise OSError(f"cinealert ingest --once exited {status}; see {log}")


def feed_table(board: ResultBoard, feeds: dict[str, str]) -> str:
    """Which alert came from which feed, and what it got."""
    header = ("#", "feed", "alert", "hazard", "status", "media")
    lines: list[tuple[str, ...]] = [header]
    for expected, record in board.ordered():
        identifier = expected.key[1]
        lines.append(
            (
                str(expected.position),
                feeds.get(identifier, "?"),
                identifier,
                str(record["hazard"]) if record else expected.hazard,
                status_text(record) if record else "NO RECORD",
                (primary_media_url(record) or "-") if record else "-",
            )
        )
    return align_table(lines)
