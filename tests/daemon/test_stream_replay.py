"""`cinealert replay` and `cinealert record` against the real broker, round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.cli import main as cinealert
from daemon.streams.format import StreamHeader, StreamMessage, read_stream, write_stream
from daemon.streams.retime import parse_cap_datetime
from tests.support.kafka import (
    RawMessage,
    consume_messages,
    create_topics,
    end_offsets,
    produce_messages,
)

ALERT = (
    "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>X-1</identifier>"
    "<sender>s@x</sender><sent>2021-03-01T10:00:00-05:00</sent><status>Actual</status>"
    "<msgType>Alert</msgType><scope>Public</scope><info><event>지진</event>"
    "<expires>2021-03-01T12:00:00-05:00</expires></info></alert>"
)

MESSAGES = [
    StreamMessage(t=0.0, key=b"X-1", value=ALERT.encode(), headers=(("source", b"kma"),)),
    StreamMessage(t=0.05, key=None, value=b"\xff\xfe not utf-8"),
    StreamMessage(t=0.1, key=b"k3", value=b"<alert>third</alert>", headers=(("a", b"1"),)),
    StreamMessage(t=0.3, key=b"k4", value=b"fourth"),
]


def _stream_file(tmp_path: Path, messages: list[StreamMessage]) -> Path:
    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_stream(handle, messages, StreamHeader(description="test"))
    return path


def _as_raw(message: StreamMessage) -> tuple[bytes | None, bytes | None, tuple[object, ...]]:
    return message.key, message.value, message.headers


async def _cli(*argv: str) -> int:
    # The commands call asyncio.run themselves, so run them off this test's loop.
    return await asyncio.to_thread(cinealert, list(argv))


async def test_replay_then_record_round_trip(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    topic = unique_topic("replay")
    await create_topics(kafka_bootstrap, [topic], partitions=1)
    source = _stream_file(tmp_path, MESSAGES)

    assert await _cli("replay", str(source), "--topic", topic, "--bootstrap", kafka_bootstrap) == 0

    consumed = await consume_messages(kafka_bootstrap, topic, len(MESSAGES))
    assert [(m.key, m.value, m.headers) for m in consumed] == [_as_raw(m) for m in MESSAGES]
    # Recorded timing is kept (a lower bound: replay never sends early).
    assert consumed[3].timestamp_ms is not None
    assert consumed[0].timestamp_ms is not None
    assert consumed[3].timestamp_ms - consumed[0].timestamp_ms >= 250

    recorded = tmp_path / "out.jsonl"
    code = await _cli(
        "record", "--topic", topic, "--from-beginning", "--max-messages", "4",
        "--bootstrap", kafka_bootstrap, str(recorded),
    )  # fmt: skip
    assert code == 0
    stream = read_stream(recorded)
    assert stream.header is not None
    assert stream.header.extra == {"topic": topic}
    assert [_as_raw(m) for m in stream.messages] == [_as_raw(m) for m in MESSAGES]
    times = [m.t for m in stream.messages]
    assert times[0] == 0.0
    assert times == sorted(times)
    assert times[3] >= 0.25


async def test_replay_of_a_bad_file_produces_nothing(
    kafka_bootstrap: str,
    unique_topic: Callable[[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = unique_topic("bad")
    await create_topics(kafka_bootstrap, [topic], partitions=1)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t": 0, "value": "ok"}\n{"t": 1, "value": "ok"}\n{"t": 2, "valu": "x"}\n')

    code = await _cli("replay", str(path), "--topic", topic, "--bootstrap", kafka_bootstrap)

    assert code == 1
    assert f"{path}:3:" in capsys.readouterr().err
    assert await end_offsets(kafka_bootstrap, topic) == {0: 0}


async def test_replay_retime_shifts_sent_to_now(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    topic = unique_topic("retime")
    await create_topics(kafka_bootstrap, [topic], partitions=1)
    source = _stream_file(tmp_path, MESSAGES[:1])
    before = datetime.now(UTC)

    code = await _cli(
        "replay", str(source), "--topic", topic, "--speed", "inf", "--retime",
        "--bootstrap", kafka_bootstrap, "--quiet",
    )  # fmt: skip

    assert code == 0
    (message,) = await consume_messages(kafka_bootstrap, topic, 1)
    assert message.value is not None
    text = message.value.decode()
    sent = parse_cap_datetime(text.split("<sent>")[1].split("<")[0])
    expires = parse_cap_datetime(text.split("<expires>")[1].split("<")[0])
    assert sent is not None
    assert expires is not None
    assert before - timedelta(seconds=1) <= sent <= datetime.now(UTC) + timedelta(seconds=1)
    assert expires - sent == timedelta(hours=2)
    assert "-05:00</sent>" in text


@pytest.mark.parametrize("speed", ["-1", "nan"])
async def test_replay_rejects_a_bad_speed(tmp_path: Path, speed: str) -> None:
    source = _stream_file(tmp_path, MESSAGES[:1])
    assert await _cli("replay", str(source), "--speed", speed, "--bootstrap", "127.0.0.1:1") == 1


async def test_record_stops_when_idle_and_from_the_end_by_default(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    topic = unique_topic("idle")
    await create_topics(kafka_bootstrap, [topic], partitions=2)
    await produce_messages(kafka_bootstrap, topic, [RawMessage(value=b"old", partition=0)])
    out = tmp_path / "idle.jsonl"

    code = await _cli(
        "record", "--topic", topic, "--idle-timeout", "0.5", "--bootstrap", kafka_bootstrap,
        str(out),
    )  # fmt: skip

    assert code == 0
    stream = read_stream(out)
    assert stream.header is not None
    assert stream.messages == []  # the message produced before recording began is not taken


async def test_record_of_a_missing_topic_fails(
    kafka_bootstrap: str,
    unique_topic: Callable[[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = unique_topic("absent")
    code = await _cli(
        "record", "--topic", topic, "--max-messages", "1", "--bootstrap", kafka_bootstrap,
        str(tmp_path / "x.jsonl"),
    )  # fmt: skip
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
