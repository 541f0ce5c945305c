"""The demo's web page: every alert of a replayed stream with its animations, in one file.

The page is static and self-contained (inline CSS and script, nothing fetched but the
media the records name), so it can be served from the media directory or opened as a
file. Alert text comes from whoever sent the CAP message, and record text from the
daemon: everything is HTML-escaped, and only http(s) or relative URLs become ``src``.

Under ``card_policy=first`` an alert has two records: the provisional card and the
terminal one (the render); its section shows both, the card first.

A small inline script counts, after the window's load event, the images and videos that
loaded and failed and writes them into ``<body data-media-total/loaded/failed>`` (and
into a line on the page), so a headless browser's DOM dump says whether every
animation the demo produced actually displays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from daemon.streams.demo_results import (
    AlertKey,
    ExpectedAlert,
    priority_text,
    seconds_text,
    status_text,
)

PageRow = tuple[ExpectedAlert, dict[str, Any] | None]
# card_policy=first: the card record published ahead of an alert's terminal record.
Provisional = Mapping[AlertKey, dict[str, Any]]

# The statuses a newcomer asks about first; always counted, even at zero.
HEADLINE_STATUSES = ("rendered", "cached", "skipped", "failed")
IMAGE_FORMATS = ("gif", "webp", "png")
VIDEO_FORMATS = ("mp4",)
_FORMAT_LABELS = {"gif": "GIF", "webp": "WebP", "png": "PNG", "mp4": "MP4 video"}
_SAFE_URL_SCHEMES = ("http", "https", "")
# CAP severity colours, as on the alert cards (pipeline/card/palette.py): the section's
# edge tells the severity at a glance, before any text is read.
_SEVERITY_COLOURS = {
    "Extreme": "#c62828",
    "Severe": "#ef6c00",
    "Moderate": "#f9a825",
    "Minor": "#2e7d32",
}
_UNKNOWN_SEVERITY_COLOUR = "#607d8b"

_STYLE = """
*{box-sizing:border-box}
body{margin:0;padding:24px;background:#f4f5f7;color:#1b1f24;
 font:16px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK KR",sans-serif}
header{max-width:1400px;margin:0 auto 20px}
h1{font-size:28px;margin:0 0 6px}
.summary{font-size:18px;margin:0 0 4px}
.note,.check{margin:0;color:#444}
main{max-width:1400px;margin:0 auto;display:grid;gap:20px;
 grid-template-columns:repeat(auto-fill,minmax(380px,1fr))}
section{background:#fff;border-radius:10px;border-left:8px solid var(--severity);
 box-shadow:0 1px 3px rgba(0,0,0,.15);padding:16px;min-width:0}
h2{font-size:20px;margin:0 0 4px;overflow-wrap:anywhere}
.identifier{font:13px ui-monospace,monospace;color:#555;margin:0 0 10px;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px;font-size:15px}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.media{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:0 0 10px}
.media figure:first-child{grid-column:1/-1}
.media.compact{grid-template-columns:repeat(3,1fr)}
.media.compact figure:first-child{grid-column:auto}
figure{margin:0}
figure img,figure video{display:block;width:100%;height:auto;border-radius:6px;background:#ddd}
figcaption{font-size:13px;color:#555}
.alt{font-size:15px;background:#f4f5f7;border-radius:6px;padding:8px 10px;margin:0 0 10px}
.no-media{font-size:15px;background:#fff8e1;border-radius:6px;padding:8px 10px;margin:0 0 10px}
h3{font-size:16px;margin:12px 0 6px}
details{font-size:14px;margin:0 0 8px}
pre{font-size:12px;background:#1b1f24;color:#e8eaed;padding:10px;border-radius:6px;
 overflow:auto;max-height:420px}
"""

# Counts media once the window has loaded: images are settled by then (the load event
# waits for them); videos are not, so each gets until its own loadeddata/error event.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("img[data-media]"));
  var videos = Array.prototype.slice.call(document.querySelectorAll("video[data-media]"));
  var failed = [];
  var loaded = 0;
  images.forEach(function (image) {
    if (image.complete && image.naturalWidth > 0) { loaded += 1; } else { failed.push(image.src); }
  });
  var waits = videos.map(function (video) {
    return new Promise(function (resolve) {
      if (video.readyState >= 2) { resolve(true); return; }
      if (video.error) { resolve(false); return; }
      video.addEventListener("loadeddata", function () { resolve(true); });
      video.addEventListener("error", function () { resolve(false); });
      setTimeout(function () { resolve(video.readyState >= 2); }, 10000);
    });
  });
  Promise.all(waits).then(function (results) {
    results.forEach(function (ok, index) {
      if (ok) { loaded += 1; } else { failed.push(videos[index].src); }
    });
    var total = images.length + videos.length;
    var data = document.body.dataset;
    data.mediaTotal = String(total);
    data.mediaLoaded = String(loaded);
    data.mediaFailed = String(failed.length);
    data.mediaFailedUrls = failed.join(" ");
    data.mediaChecked = "true";
    document.getElementById("media-check").textContent = failed.length
      ? failed.length + " of " + total + " media failed to load: " + failed.join(", ")
      : "all " + total + " media loaded";
  });
});
"""


def status_counts_of(rows: Sequence[PageRow]) -> dict[str, int]:
    """Records per status; the headline statuses are always present, missing records too."""
    counts = dict.fromkeys(HEADLINE_STATUSES, 0)
    for _alert, record in rows:
        status = str(record["status"]) if record is not None else "no record"
        counts[status] = counts.get(status, 0) + 1
    return counts


def summary_text(rows: Sequence[PageRow], provisional: Provisional | None = None) -> str:
    """``21 alerts: 14 rendered, 4 cached, 2 skipped, 0 failed, 1 cancelled``."""
    counts = status_counts_of(rows)
    others = sorted(status for status in counts if status not in HEADLINE_STATUSES)
    parts = [f"{counts[status]} {status}" for status in (*HEADLINE_STATUSES, *others)]
    noun = "alert" if len(rows) == 1 else "alerts"
    cards = f"; {len(provisional)} provisional card(s) came first" if provisional else ""
    return f"{len(rows)} {noun}: " + ", ".join(parts) + cards


def demo_page_html(
    rows: Sequence[PageRow],
    *,
    provisional: Provisional | None = None,
    note: str = "",
    generated_at: datetime | None = None,
) -> str:
    """The whole page for ``rows`` (as `ResultBoard.ordered` gives them, table order)."""
    when = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    cards = provisional or {}
    sections = "\n".join(_section(alert, record, cards.get(alert.key)) for alert, record in rows)
    note_line = f'<p class="note">{escape(note)}</p>' if note else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cinealert demo: every alert's animation</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>cinealert demo: every alert's animation</h1>
<p class="summary">{escape(summary_text(rows, provisional))}</p>
{note_line}
<p class="check">written {escape(when)}; media check: <span id="media-check">waiting for the
page to load</span></p>
</header>
<main>
{sections}
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_demo_page(
    rows: Sequence[PageRow], path: Path, *, provisional: Provisional | None = None, note: str = ""
) -> Path:
    """Write the page to ``path`` (folders created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_page_html(rows, provisional=provisional, note=note), encoding="utf-8")
    return path


def _section(
    expected: ExpectedAlert, record: dict[str, Any] | None, card: dict[str, Any] | None
) -> str:
    identifier = expected.key[1]
    if record is None:
        return (
            f'<section data-alert-identifier="{escape(identifier)}" '
            f'style="--severity:{_UNKNOWN_SEVERITY_COLOUR}">\n'
            f"<h2>{escape(identifier)}</h2>\n"
            f'<p class="no-media">No record arrived for this alert (hazard '
            f"{escape(expected.hazard)}): nothing to show.</p>\n</section>"
        )
    alert: dict[str, Any] = record.get("alert") or {}
    language = str(alert.get("language") or "")
    lang = f' lang="{escape(language)}"' if language else ""
    title = alert.get("event") or identifier
    colour = _SEVERITY_COLOURS.get(str(alert.get("severity")), _UNKNOWN_SEVERITY_COLOUR)
    # The card first: under card_policy=first it is what a reader saw first, and it is
    # the legible picture when the terminal render comes from the tiny noise models.
    shown = [(card, "provisional card record"), (record, "record")] if card else [(record, "")]
    blocks = "\n".join(
        _record_block(item, heading, lang, compact=index > 0)
        for index, (item, heading) in enumerate(shown)
    )
    return (
        f'<section data-alert-identifier="{escape(identifier)}" style="--severity:{colour}">\n'
        f"<h2{lang}>{escape(str(title))}</h2>\n"
        f'<p class="identifier">{escape(identifier)}</p>\n'
        f"{_facts(record, alert, lang)}\n"
        f"{blocks}\n"
        f"</section>"
    )


def _record_block(record: dict[str, Any], heading: str, lang: str, *, compact: bool) -> str:
    title = (
        f"<h3>{escape(heading)}: {escape(str(record.get('kind') or 'no media'))}</h3>\n"
        if heading
        else ""
    )
    return (
        f"{title}{_media_block(record, lang, compact=compact)}\n"
        f"<details><summary>{escape(heading or 'record')} JSON</summary><pre>"
        f"{escape(json.dumps(record, indent=2, ensure_ascii=False))}</pre></details>"
    )


def _facts(record: dict[str, Any], alert: dict[str, Any], lang: str) -> str:
    facts = [
        ("status", status_text(record), ""),
        ("kind", str(record.get("kind") or "none"), ""),
        ("hazard", str(record.get("hazard")), ""),
        ("severity", _joined(alert, "severity", "urgency", "certainty"), ""),
        ("priority", priority_text(record), ""),
        ("language", str(alert.get("language") or "-"), ""),
        ("area", str(alert.get("areaDesc") or "-"), lang),
        ("message", _joined(alert, "status", "msgType"), ""),
        ("time", seconds_text(record), ""),
    ]
    items = "".join(
        f"<dt>{escape(name)}</dt><dd{attributes}>{escape(value)}</dd>"
        for name, value, attributes in facts
    )
    return f"<dl>{items}</dl>"


def _joined(alert: dict[str, Any], *fields: str) -> str:
    return " / ".join(str(alert.get(name) or "-") for name in fields)


def _media_block(record: dict[str, Any], lang: str, *, compact: bool = False) -> str:
    media: list[dict[str, Any]] = record.get("media") or []
    alt_text = str(record.get("alt_text") or "")
    figures = [_figure(item, record.get("poster_url"), alt_text) for item in media]
    shown = [figure for figure in figures if figure]
    if not shown:
        reason = record.get("reason")
        why = f" ({escape(str(reason))})" if reason else ""
        return (
            f'<p class="no-media">No media for this alert: it was '
            f"{escape(str(record.get('status')))}{why}.</p>"
        )
    alt_line = f'<p class="alt"{lang}>{escape(alt_text)}</p>' if alt_text else ""
    # The first record of a section is shown large; a later one (the render after its
    # provisional card) small, so the legible card leads and the section stays short.
    layout = "media compact" if compact else "media"
    return f'<div class="{layout}">{"".join(shown)}</div>\n{alt_line}'


def _figure(item: dict[str, Any], poster_url: object, alt_text: str) -> str:
    media_format = str(item.get("format"))
    url = _safe_url(item.get("url"))
    if url is None:
        return ""
    size = _size_attributes(item)
    caption = f"<figcaption>{escape(_caption(item))}</figcaption>"
    if media_format in VIDEO_FORMATS:
        poster = _safe_url(poster_url)
        poster_attribute = f' poster="{escape(poster)}"' if poster else ""
        return (
            f'<figure><video data-media src="{escape(url)}"{poster_attribute}{size} '
            f'autoplay loop muted playsinline preload="auto" aria-label="{escape(alt_text)}">'
            f"</video>{caption}</figure>"
        )
    if media_format in IMAGE_FORMATS:
        return (
            f'<figure><a href="{escape(url)}"><img data-media src="{escape(url)}"{size} '
            f'alt="{escape(alt_text)}"></a>{caption}</figure>'
        )
    return ""


def _caption(item: dict[str, Any]) -> str:
    media_format = str(item.get("format"))
    label = _FORMAT_LABELS.get(media_format, media_format)
    parts = [label]
    if item.get("width") and item.get("height"):
        parts.append(f"{item['width']}×{item['height']}")
    if item.get("frames") and item.get("fps"):
        parts.append(f"{item['frames']} frames at {item['fps']:g} fps")
    if isinstance(item.get("bytes"), int):
        parts.append(f"{item['bytes'] / 1024:.0f} KiB")
    return " · ".join(parts)


def _size_attributes(item: dict[str, Any]) -> str:
    # Width and height reserve the space before the file arrives (no layout jumps).
    width, height = item.get("width"), item.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return f' width="{width}" height="{height}"'
    return ""


def _safe_url(url: object) -> str | None:
    """``url`` when it is an http(s) or relative URL; a ``javascript:`` one never is."""
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SAFE_URL_SCHEMES else None
