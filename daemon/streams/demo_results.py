"""What a replayed stream should produce, the records that came back, and the results table.

The expected set is computed by parsing the very messages that were replayed with the
same CAP parser the daemon uses: every distinct valid alert (by sender, identifier,
sent) must get exactly one terminal record; messages the parser refuses go to the
dead-letter topic and get none. Nothing here is specific to the bundled stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cap.classify import classify_alert
from cap.document import parse_document
from daemon.streams.format import StreamMessage

# (sender, identifier, sent) as in `cap.model.Alert.key`.
AlertKey = tuple[str, str, datetime]

_PREFERRED_FORMATS = ("gif", "webp", "mp4")


class RecordFormatError(ValueError):
    """An output message that is not a media record; carries the offending text."""

    def __init__(self, problem: str, raw: bytes | None) -> None:
        super().__init__(f"{problem}: {(raw or b'')[:200]!r}")
        self.raw = raw


@dataclass(frozen=True)
class ExpectedAlert:
    """A valid alert of the stream, in replay order."""

    key: AlertKey
    position: int  # 1-based order among the stream's valid alerts
    hazard: str


@dataclass
class ExpectedResults:
    """Every alert that must get a record, plus counts of what gets none."""

    alerts: dict[AlertKey, ExpectedAlert] = field(default_factory=dict)
    rejected_messages: int = 0  # whole messages or items sent to the dead-letter topic
    duplicates: int = 0  # repeats of an alert already seen (no second record)


def expected_results(messages: Iterable[StreamMessage]) -> ExpectedResults:
    """Parse each message as the daemon would and list the alerts that need a record."""
    expected = ExpectedResults()
    for message in messages:
        document = parse_document(message.value if message.value is not None else b"")
        if document.error is not None:
            expected.rejected_messages += 1
            continue
        expected.rejected_messages += len(document.rejected)
        if not document.alerts and not document.rejected:
            expected.rejected_messages += 1
        for alert in document.alerts:
            if alert.key in expected.alerts:
                expected.duplicates += 1
                continue
            expected.alerts[alert.key] = ExpectedAlert(
                key=alert.key,
                position=len(expected.alerts) + 1,
                hazard=classify_alert(alert).hazard,
            )
    return expected


def decode_record(raw: bytes | None) -> dict[str, Any]:
    """The JSON record of one output message; raises `RecordFormatError` otherwise."""
    if raw is None:
        raise RecordFormatError("output message without a value", raw)
    try:
        record = json.loads(raw)
    except ValueError as error:
        raise RecordFormatError(f"not JSON ({error})", raw) from error
    if not isinstance(record, dict) or not isinstance(record.get("alert"), dict):
        raise RecordFormatError("not a cinealert.media record (no 'alert' object)", raw)
    return record


def record_key(record: dict[str, Any]) -> AlertKey:
    """The alert key a record answers, comparable with `cap.model.Alert.key`."""
    alert = record["alert"]
    try:
        sent = datetime.fromisoformat(alert["sent"])
    except (KeyError, TypeError, ValueError) as error:
        raise RecordFormatError(f"record alert.sent unusable ({error})", None) from error
    return (alert["sender"], alert["identifier"], sent)


def primary_media_url(record: dict[str, Any]) -> str | None:
    """The URL to show for a record: its GIF (universal), else WebP, else MP4."""
    media: list[dict[str, Any]] = record.get("media") or []
    by_format = {item["format"]: item["url"] for item in media}
    for media_format in _PREFERRED_FORMATS:
        if media_format in by_format:
            return str(by_format[media_format])
    return None


class ResultBoard:
    """Collects records against the expected alerts; the first record per alert counts."""

    def __init__(self, expected: ExpectedResults) -> None:
        self.expected = expected
        self.records: dict[AlertKey, dict[str, Any]] = {}
        self.repeats = 0  # at-least-once delivery may repeat a record after a crash
        self.unexpected: list[dict[str, Any]] = []
        # card_policy=first: the card record that came ahead of an alert's terminal one.
        self.provisional: dict[AlertKey, dict[str, Any]] = {}

    def add(self, record: dict[str, Any]) -> bool:
        """Take one record; True when it is the first terminal one for an expected alert
        (a provisional card is kept aside in ``provisional``, not counted)."""
        key = record_key(record)
        if key not in self.expected.alerts:
            self.unexpected.append(record)
            return False
        if record.get("status") == "provisional":
            self.provisional.setdefault(key, record)
            return False
        if key in self.records:
            self.repeats += 1
            return False
        self.records[key] = record
        return True

    @property
    def complete(self) -> bool:
        """True once every expected alert has its record."""
        return len(self.records) == len(self.expected.alerts)

    def missing(self) -> list[ExpectedAlert]:
        """Expected alerts without a record yet, in stream order."""
        return [alert for key, alert in self.expected.alerts.items() if key not in self.records]

    def ordered(self) -> list[tuple[ExpectedAlert, dict[str, Any] | None]]:
        """(expected alert, its record or None) in stream order."""
        return [(alert, self.records.get(key)) for key, alert in self.expected.alerts.items()]


def status_text(record: dict[str, Any]) -> str:
    """``status`` plus its reason when there is one, e.g. ``skipped (test-alert)``."""
    reason = record.get("reason")
    return f"{record['status']} ({reason})" if reason else str(record["status"])


def priority_text(record: dict[str, Any]) -> str:
    """``band score`` of a record's priority, or ``-``."""
    priority = record.get("priority")
    if not priority:
        return "-"
    return f"{priority['band']} {priority['score']:.2f}"


def seconds_text(record: dict[str, Any]) -> str:
    """Consumption-to-record time of a record in seconds."""
    total = (record.get("timings_ms") or {}).get("total")
    return "-" if total is None else f"{total / 1000:.1f}s"


def progress_line(count: int, total: int, record: dict[str, Any]) -> str:
    """One line printed as a record arrives."""
    alert = record["alert"]
    return (
        f"[{count:>{len(str(total))}}/{total}] {alert['identifier']}: {record['hazard']} -> "
        f"{status_text(record)} ({seconds_text(record)})"
    )


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def results_table(
    rows: Sequence[tuple[ExpectedAlert, dict[str, Any] | None]], alert_width: int = 36
) -> str:
    """A plain-text table: alert, hazard, priority, status, time, media URL."""
    header = ("#", "alert", "hazard", "priority", "status", "time", "media")
    lines: list[tuple[str, ...]] = [header]
    for expected, record in rows:
        identifier = expected.key[1]
        if record is None:
            lines.append(
                (str(expected.position), identifier, expected.hazard, "-", "NO RECORD", "-", "-")
            )
            continue
        lines.append(
            (
                str(expected.position),
                _shorten(identifier, alert_width),
                str(record["hazard"]),
                priority_text(record),
                status_text(record),
                seconds_text(record),
                primary_media_url(record) or "-",
            )
        )
    return align_table(lines)


def align_table(lines: Sequence[tuple[str, ...]]) -> str:
    """Rows (the first is the header) as aligned text; the last column is left ragged."""
    header = lines[0]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header) - 1)]
    rendered = []
    for index, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        rendered.append("  ".join([*cells, line[-1]]).rstrip())
        if index == 0:
            rendered.append("  ".join("-" * width for width in [*widths, len(header[-1])]))
    return "\n".join(rendered)


def status_counts(board: ResultBoard) -> dict[str, int]:
    """How many records of each status arrived."""
    counts: dict[str, int] = {}
    for record in board.records.values():
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts


def merge_boards(first: ResultBoard, second: ResultBoard) -> ResultBoard:
    """One board holding both (the stream's alerts, then the feeds'): the page, the
    records file and the exit status cover everything the demo sent."""
    expected = ExpectedResults(
        alerts={**first.expected.alerts, **second.expected.alerts},
        rejected_messages=first.expected.rejected_messages + second.expected.rejected_messages,
        duplicates=first.expected.duplicates + second.expected.duplicates,
    )
    merged = ResultBoard(expected)
    merged.records = {**first.records, **second.records}
    merged.provisional = {**first.provisional, **second.provisional}
    merged.repeats = first.repeats + second.repeats
    return merged
