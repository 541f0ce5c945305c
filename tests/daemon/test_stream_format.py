"""Recorded-stream files: reading, writing, every format rule, and --retime."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.streams.format import (
    RecordedStream,
    StreamFormatError,
    StreamHeader,
    StreamMessage,
    read_stream,
    write_stream,
)
from daemon.streams.retime import (
    parse_cap_datetime,
    retime_messages,
    retime_value,
    shift_cap_datetime,
)

KMA_1 = "kma@example.kr,KMA-1,2024-07-10T02:00:00+09:00"
NWS_9 = "nws@x,NWS-9,2024-07-09T17:00:00-00:00"
ALERT = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>KMA-2</identifier>
  <sender>kma@example.kr</sender>
  <sent>2024-07-10T03:15:00+09:00</sent>
  <status>Actual</status>
  <msgType>Update</msgType>
  <references>{KMA_1} {NWS_9}</references>
  <info>
    <event>호우</event>
    <effective>2024-07-10T03:15:00+09:00</effective>
    <onset>2024-07-10T04:00:00+09:00</onset>
    <expires>2024-07-10T09:00:00+09:00</expires>
  </info>
</alert>"""


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "s.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_write_then_read_keeps_every_field(tmp_path: Path) -> None:
    messages = [
        StreamMessage(t=0.0, key=b"KMA-1", value=ALERT.encode(), headers=(("source", b"kma"),)),
        StreamMessage(t=0.35, key=None, value=b"\xff\xfe\x00broken"),
        StreamMessage(t=0.35, key=b"\x00\xffbin", value=None),
    ]
    header = StreamHeader(description="storm night", recorded_at="2026-11-23T00:00:00Z")
    buffer = io.StringIO()

    assert write_stream(buffer, messages, header) == 3
    path = tmp_path / "roundtrip.jsonl"
    path.write_text(buffer.getvalue(), encoding="utf-8")

    assert read_stream(path) == RecordedStream(header=header, messages=messages)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines[0]["format"] == "cinealert.stream/1"
    assert lines[1]["value"] == ALERT  # text stays readable, Hangul included
    assert "value_b64" in lines[2]
    assert "key_b64" in lines[3]
    assert lines[3]["value"] is None


def test_the_documented_example_reads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            '{"format": "cinealert.stream/1", "description": "storm night, 40 alerts", '
            '"recorded_at": "2026-11-23T00:00:00Z"}',
            '{"t": 0.0, "key": "NWS-123", "headers": [["source", "noaa"]], "value": "<alert/>"}',
            '{"t": 0.35, "key": null, "headers": [], "value_b64": "//79AAEC"}',
        ],
    )
    stream = read_stream(path)
    assert stream.header is not None
    assert stream.header.description == "storm night, 40 alerts"
    assert [m.t for m in stream.messages] == [0.0, 0.35]
    assert stream.messages[0].headers == (("source", b"noaa"),)
    assert stream.messages[1].value == b"\xff\xfe\xfd\x00\x01\x02"


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"t": -1, "value": "x"}', "t must be a number >= 0"),
        ('{"t": "0", "value": "x"}', "t must be a number >= 0"),
        ('{"t": true, "value": "x"}', "t must be a number >= 0"),
        ('{"t": 1, "key": null}', "exactly one of value / value_b64"),
        ('{"t": 1, "value": "x", "value_b64": "eA=="}', "both value and value_b64"),
        ('{"t": 1, "value_b64": "***"}', "not base64"),
        ('{"t": 1, "value": 5}', "value must be a string"),
        ('{"t": 1, "value": "x", "headers": [["only-name"]]}', "[name, value] pair"),
        ('{"t": 1, "value": "x", "headers": {"a": "b"}}', "headers must be a list"),
        ('{"t": 1, "value": "x", "partition": 3}', "unknown fields ['partition']"),
        ('{"t": 0.5, "value": "x"}', "earlier than the previous line's t=1.0"),
        ('{"format": "cinealert.stream/1"}', "first line only"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, bad_line: str, fragment: str) -> None:
    path = _write(tmp_path, ['{"t": 0, "value": "a"}', '{"t": 1.0, "value": "b"}', bad_line])
    with pytest.raises(StreamFormatError) as raised:
        read_stream(path)
    assert raised.value.line_number == 3
    assert str(raised.value).startswith(f"{path}:3: ")
    assert fragment in str(raised.value)


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, ['{"format": "cinealert.stream/2"}'])
    with pytest.raises(StreamFormatError, match=r"is not 'cinealert\.stream/1'"):
        read_stream(path)


def test_blank_line_is_an_error_not_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, ['{"t": 0, "value": "a"}', "", '{"t": 1, "value": "b"}'])
    with pytest.raises(StreamFormatError) as raised:
        read_stream(path)
    assert raised.value.line_number == 2


# --------------------------------------------------------------------------- retime


def test_shift_keeps_zone_spelling_and_fraction() -> None:
    hour = timedelta(hours=1)
    assert shift_cap_datetime("2024-07-10T23:30:00+09:00", hour) == "2024-07-11T00:30:00+09:00"
    assert shift_cap_datetime("2024-07-10T23:30:00-00:00", hour) == "2024-07-11T00:30:00-00:00"
    assert shift_cap_datetime("2024-07-10T23:30:00Z", hour) == "2024-07-11T00:30:00Z"
    assert shift_cap_datetime(" 2024-07-10T23:30:00.25-05:00 ", hour) == (
        " 2024-07-11T00:30:00.25-05:00 "
    )
    assert shift_cap_datetime("tomorrow", hour) is None
    assert shift_cap_datetime("2024-13-10T23:30:00+09:00", hour) is None


def test_retime_moves_all_cap_times_and_references_consistently() -> None:
    offset = timedelta(days=100, hours=5)

    result = retime_value(ALERT.encode(), offset)

    text = result.value.decode()
    assert result.shifted == 6  # sent, effective, onset, expires, two references
    assert result.untouched == ()
    assert "<sent>2024-10-18T08:15:00+09:00</sent>" in text
    assert "<effective>2024-10-18T08:15:00+09:00</effective>" in text
    assert "<onset>2024-10-18T09:00:00+09:00</onset>" in text
    assert "<expires>2024-10-18T14:00:00+09:00</expires>" in text
    assert (
        "<references>kma@example.kr,KMA-1,2024-10-18T07:00:00+09:00 "
        "nws@x,NWS-9,2024-10-17T22:00:00-00:00</references>" in text
    )
    assert "<event>호우</event>" in text  # non-date text is untouched, byte for byte
    assert "2024-07" not in text  # no date-time was missed


def test_retime_handles_namespace_prefixes_and_reports_garbage() -> None:
    value = (
        b"<cap:alert><cap:sent>2020-01-01T00:00:00+01:00</cap:sent>"
        b"<cap:expires>soon</cap:expires>"
        b"<cap:references>a,b,notadate</cap:references>\xff</cap:alert>"
    )
    result = retime_value(value, timedelta(minutes=1))
    assert b"<cap:sent>2020-01-01T00:01:00+01:00</cap:sent>" in result.value
    assert result.untouched == ("soon", "a,b,notadate")
    assert result.value.endswith(b"\xff</cap:alert>")


def _text(message: StreamMessage) -> str:
    assert message.value is not None
    return message.value.decode()


def test_retime_stream_makes_the_first_sent_now_and_keeps_chains() -> None:
    first = ALERT.replace("KMA-2", "KMA-1").replace(
        "<sent>2024-07-10T03:15:00+09:00", "<sent>2024-07-10T02:00:00+09:00"
    )
    messages = [
        StreamMessage(t=0.0, value=b"\x00garbage before any alert"),
        StreamMessage(t=1.0, value=first.encode()),
        StreamMessage(t=2.0, value=ALERT.encode()),
    ]
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)

    retimed, summary, offset = retime_messages(messages, now)

    assert summary is not None
    assert summary.shifted == 12
    first_text = _text(retimed[1])
    assert parse_cap_datetime(first_text.split("<sent>")[1].split("<")[0]) == now
    second = _text(retimed[2])
    # The Update still references the first alert's (new) sent exactly.
    reference = second.split("<references>")[1].split(" ")[0]
    assert reference == "kma@example.kr,KMA-1,2026-11-23T21:00:00+09:00"
    assert retimed[0] == messages[0]
    assert offset == now - datetime.fromisoformat("2024-07-10T02:00:00+09:00")


def test_retime_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        retime_messages([], datetime(2026, 1, 1))


# --------------------------------------------------------------------------- bundled streams

REPO = Path(__file__).resolve().parents[2]
BUNDLED = sorted([*REPO.glob("tests/streams/*.jsonl"), *REPO.glob("daemon/data/*.jsonl")])
_ALERT_BLOCK = re.compile(r"<(?:[\w.-]+:)?alert\b.*?</(?:[\w.-]+:)?alert>", re.DOTALL)


def _field(block: str, name: str) -> str | None:
    found = re.search(rf"<(?:[\w.-]+:)?{name}>\s*([^<]*?)\s*</", block)
    return found.group(1) if found else None


def _alert_keys(messages: list[StreamMessage]) -> list[tuple[str, str, str]]:
    keys = []
    for message in messages:
        text = (message.value or b"").decode("latin-1")
        for block in _ALERT_BLOCK.findall(text):
            sender, identifier, sent = (_field(block, n) for n in ("sender", "identifier", "sent"))
            if sender and identifier and sent:
                keys.append((sender, identifier, sent))
    return keys


def _references(messages: list[StreamMessage]) -> list[str]:
    texts = [(m.value or b"").decode("latin-1") for m in messages]
    return [
        triple
        for text in texts
        for body in re.findall(r"<(?:[\w.-]+:)?references>([^<]*)</", text)
        for triple in body.split()
    ]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_streams_read_and_retime_keeps_references_resolvable(path: Path) -> None:
    stream = read_stream(path)
    now = datetime(2030, 1, 1, tzinfo=UTC)

    retimed, summary, _offset = retime_messages(stream.messages, now)

    assert summary is not None
    assert summary.shifted > 0
    before = {f"{s},{i},{t}" for s, i, t in _alert_keys(stream.messages)}
    after = {f"{s},{i},{t}" for s, i, t in _alert_keys(retimed)}
    resolvable_before = [r for r in _references(stream.messages) if r in before]
    resolvable_after = [r for r in _references(retimed) if r in after]
    # Every reference that pointed at an alert of the stream still does after retiming.
    assert len(resolvable_after) == len(resolvable_before)
    first_sent = next(parse_cap_datetime(t) for _s, _i, t in _alert_keys(retimed))
    assert first_sent == now
