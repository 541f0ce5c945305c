"""The demo's web page (daemon/streams/demo_page.py) from records built here."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from daemon.streams.demo_page import demo_page_html, summary_text, write_demo_page
from daemon.streams.demo_results import ExpectedAlert

SENT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8080/media"
HOSTILE_EVENT = "<script>alert('event')</script>"
HOSTILE_AREA = '"><img src=x onerror="alert(1)">'
HOSTILE_ALT = "Flood <b>now</b> & </p><script>steal()</script>"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and its text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.tags if name == tag]


def expected_alert(identifier: str, position: int, hazard: str = "flood") -> ExpectedAlert:
    return ExpectedAlert(
        key=("sender@example.org", identifier, SENT), position=position, hazard=hazard
    )


def media_item(name: str, media_format: str) -> dict[str, Any]:
    return {
        "url": f"{BASE}/{name}.{media_format}",
        "format": media_format,
        "width": 512,
        "height": 512,
        "frames": 16,
        "fps": 8.0,
        "bytes": 40960,
        "sha256": "0" * 64,
    }


def record(
    alert: ExpectedAlert,
    status: str,
    *,
    event: str = "Flood Warning",
    area: str = "Harris, TX",
    alt_text: str | None = None,
    media: list[dict[str, Any]] | None = None,
    kind: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "alert": {
            "identifier": alert.key[1],
            "sender": alert.key[0],
            "sent": SENT.isoformat(),
            "status": "Actual",
            "msgType": "Alert",
            "event": event,
            "language": "en-US",
            "urgency": "Immediate",
            "severity": "Extreme",
            "certainty": "Observed",
            "areaDesc": area,
        },
        "hazard": alert.hazard,
        "priority": {"band": "critical", "score": 374.2},
        "status": status,
        "reason": reason,
        "media": media or [],
        "kind": kind,
        "poster_url": f"{BASE}/{alert.key[1]}-poster.png" if media else None,
        "alt_text": alt_text,
        "timings_ms": {"total": 1200.0},
    }


def card_media(name: str) -> list[dict[str, Any]]:
    return [media_item(name, "gif"), media_item(name, "webp"), media_item(name, "mp4")]


def test_hostile_alert_text_is_escaped_everywhere() -> None:
    alert = expected_alert("<id>&1", 1)
    rows = [
        (
            alert,
            record(
                alert,
                "rendered",
                event=HOSTILE_EVENT,
                area=HOSTILE_AREA,
                alt_text=HOSTILE_ALT,
                media=card_media("a"),
                kind="card",
            ),
        )
    ]
    page = demo_page_html(rows)
    for hostile in (HOSTILE_EVENT, HOSTILE_AREA, HOSTILE_ALT, "<id>&1", "<b>now</b>"):
        assert hostile not in page
    assert "&lt;script&gt;alert(&#x27;event&#x27;)&lt;/script&gt;" in page
    assert "&lt;id&gt;&amp;1" in page
    elements = Elements(page)
    # Only the page's own counting script, and only the media the record names.
    assert len(elements.named("script")) == 1
    assert {image["src"] for image in elements.named("img")} == {f"{BASE}/a.gif", f"{BASE}/a.webp"}
    # The alt attribute and the shown text are the alert's words, unchanged once parsed.
    assert {image["alt"] for image in elements.named("img")} == {HOSTILE_ALT}
    assert HOSTILE_ALT in "".join(elements.text)
    assert HOSTILE_EVENT in "".join(elements.text)


def test_one_img_per_gif_and_webp_and_one_video_per_mp4_with_its_poster() -> None:
    first, second = expected_alert("one", 1), expected_alert("two", 2, "wildfire")
    alt = "Animated alert card, red for severity Extreme: floodwater flowing and rising."
    rows = [
        (first, record(first, "rendered", alt_text=alt, media=card_media("one"), kind="card")),
        (second, record(second, "cached", alt_text=alt, media=card_media("two"), kind="card")),
    ]
    page = demo_page_html(rows)
    elements = Elements(page)
    images = elements.named("img")
    videos = elements.named("video")
    assert [image["src"] for image in images] == [
        f"{BASE}/one.gif",
        f"{BASE}/one.webp",
        f"{BASE}/two.gif",
        f"{BASE}/two.webp",
    ]
    assert [video["src"] for video in videos] == [f"{BASE}/one.mp4", f"{BASE}/two.mp4"]
    assert [video["poster"] for video in videos] == [
        f"{BASE}/one-poster.png",
        f"{BASE}/two-poster.png",
    ]
    for video in videos:
        assert {"autoplay", "loop", "muted", "playsinline"} <= set(video)
    # Every element the browser test counts carries the marker the page's script reads.
    assert all("data-media" in element for element in [*images, *videos])
    assert all(image["alt"] == alt for image in images)
    # Shown as text once per alert (the record JSON below holds it too).
    assert page.count(f'<p class="alt" lang="en-US">{alt}</p>') == 2


def test_sections_follow_the_table_order_and_show_the_facts() -> None:
    alerts = [expected_alert(f"alert-{n}", n) for n in (3, 1, 2)]
    rows = [(alert, record(alert, "rendered", media=card_media(alert.key[1]))) for alert in alerts]
    elements = Elements(demo_page_html(rows))
    order = [section["data-alert-identifier"] for section in elements.named("section")]
    assert order == ["alert-3", "alert-1", "alert-2"]
    text = "".join(elements.text)
    for fact in ("Flood Warning", "en-US", "Extreme / Immediate / Observed", "rendered", "flood"):
        assert fact in text
    assert len(elements.named("details")) == 3  # the record JSON, collapsed


def test_records_without_media_and_alerts_without_a_record_say_so() -> None:
    skipped, cancelled, silent = (expected_alert(name, n) for n, name in enumerate("abc", 1))
    rows = [
        (skipped, record(skipped, "skipped", reason="test-or-exercise")),
        (cancelled, record(cancelled, "cancelled", reason="cancel-message")),
        (silent, None),
    ]
    elements = Elements(demo_page_html(rows))
    text = " ".join("".join(elements.text).split())
    assert "No media for this alert: it was skipped (test-or-exercise)." in text
    assert "No media for this alert: it was cancelled (cancel-message)." in text
    assert "No record arrived for this alert" in text
    assert not elements.named("img") and not elements.named("video")
    assert [s["data-alert-identifier"] for s in elements.named("section")] == ["a", "b", "c"]


def test_the_headline_counts_every_status() -> None:
    alerts = [expected_alert(f"a{n}", n) for n in range(1, 7)]
    statuses = ["rendered", "rendered", "cached", "skipped", "cancelled"]
    rows: list[tuple[ExpectedAlert, dict[str, Any] | None]] = [
        (alert, record(alert, status)) for alert, status in zip(alerts, statuses, strict=False)
    ]
    rows.append((alerts[5], None))
    expected = "6 alerts: 2 rendered, 1 cached, 1 skipped, 0 failed, 1 cancelled, 1 no record"
    assert summary_text(rows) == expected
    assert expected in demo_page_html(rows)


def test_a_provisional_card_is_shown_ahead_of_the_terminal_render() -> None:
    alert = expected_alert("first", 1)
    card = record(alert, "provisional", media=card_media("card"), kind="card")
    render = record(alert, "rendered", media=card_media("noise"), kind="animation")
    page = demo_page_html([(alert, render)], provisional={alert.key: card})
    sources = [image["src"] for image in Elements(page).named("img")]
    assert sources == [
        f"{BASE}/card.gif",
        f"{BASE}/card.webp",
        f"{BASE}/noise.gif",
        f"{BASE}/noise.webp",
    ]
    assert "1 provisional card(s) came first" in page
    assert "1 rendered" in page


def test_only_web_urls_become_sources() -> None:
    alert = expected_alert("x", 1)
    evil = {**media_item("x", "gif"), "url": "javascript:alert(1)"}
    page = demo_page_html([(alert, record(alert, "rendered", media=[evil]))])
    assert "javascript:" not in page.split("<details>")[0]
    assert "No media for this alert" in page


def test_the_page_is_written_with_its_folders(tmp_path: Path) -> None:
    alert = expected_alert("w", 1)
    path = write_demo_page(
        [(alert, record(alert, "rendered", media=card_media("w")))],
        tmp_path / "media" / "demo" / "index.html",
        note="cards: only",
    )
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "cards: only" in page
    # Self-contained: nothing but the media themselves is fetched.
    assert "<link" not in page and "@import" not in page and "cdn" not in page.lower()
