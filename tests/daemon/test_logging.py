"""Log output: JSON lines, per-message context on every line, stdlib logs rendered alike."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from daemon.runtime.logging_setup import (
    alert_context,
    bind_alert,
    configure_logging,
    get_logger,
    message_context,
    wants_json,
)


@pytest.fixture
def json_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(level="INFO", log_format="json", stream=stream)
    yield stream
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_context_is_on_every_line_of_a_message_and_gone_after(json_output: io.StringIO) -> None:
    log = get_logger("daemon.test")
    with message_context("cap.alerts", 2, 41), alert_context("NWS-1", sender="w-nws@noaa"):
        log.info("parsed", hazard="flood")
        logging.getLogger("aiokafka.consumer").warning("rebalance %s", "started")
    log.info("idle")

    parsed, stdlib_line, idle = _lines(json_output)
    for line in (parsed, stdlib_line):
        assert line["alert_id"] == "NWS-1"
        assert line["sender"] == "w-nws@noaa"
        assert (line["topic"], line["partition"], line["offset"]) == ("cap.alerts", 2, 41)
    assert parsed["event"] == "parsed"
    assert parsed["hazard"] == "flood"
    assert parsed["level"] == "info"
    assert stdlib_line["event"] == "rebalance started"
    assert stdlib_line["logger"] == "aiokafka.consumer"
    assert stdlib_line["level"] == "warning"
    assert "timestamp" in stdlib_line
    assert "alert_id" not in idle
    assert "offset" not in idle


async def test_context_follows_worker_threads(json_output: io.StringIO) -> None:
    log = get_logger("daemon.test")

    def render() -> None:
        log.info("rendering in a thread")

    with message_context("t", 0, 7):
        bind_alert("A-7")
        await asyncio.to_thread(render)
    structlog.contextvars.unbind_contextvars("alert_id")

    (line,) = _lines(json_output)
    assert (line["alert_id"], line["offset"]) == ("A-7", 7)


def test_level_filters_and_quiet_libraries(json_output: io.StringIO) -> None:
    get_logger("daemon.test").debug("hidden")
    logging.getLogger("aiokafka").info("chatty")
    logging.getLogger("aiokafka").error("broken")
    events = [line["event"] for line in _lines(json_output)]
    assert events == ["broken"]


def test_exceptions_are_rendered_into_the_json(json_output: io.StringIO) -> None:
    try:
        raise ValueError("bad value 42")
    except ValueError:
        get_logger("daemon.test").exception("failed")
    (line,) = _lines(json_output)
    assert "ValueError: bad value 42" in str(line["exception"])


def test_console_format_is_not_json() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", log_format="console", stream=stream)
    try:
        get_logger("daemon.test").info("hello", key="v")
    finally:
        structlog.reset_defaults()
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "hello" in text
    assert "key" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_auto_format_picks_json_off_a_terminal() -> None:
    assert wants_json("auto", io.StringIO()) is True
    assert wants_json("console", io.StringIO()) is False
    with pytest.raises(ValueError, match="xml"):
        wants_json("xml", io.StringIO())
