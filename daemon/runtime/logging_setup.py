"""structlog configuration: JSON lines (console on a TTY), stdlib logs rendered the same.

Per-message context (alert identifier, topic, partition, offset) is bound through
contextvars with :func:`message_context` / :func:`alert_context` / :func:`bind_alert`,
so every line logged while a message is processed carries it, including lines from
worker threads started with ``asyncio.to_thread`` (which copies the context).

The two context managers run for every message on the daemon's hot path, so they set
one ``ContextVar`` holding an immutable mapping (one set and one reset per block)
instead of structlog's ``bound_contextvars``, which copies every bound variable on
entry and exit; the ``_merge_message_context`` processor adds the mapping to each line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any, TextIO

import structlog
from structlog.typing import Processor

from daemon.runtime.settings import LOG_FORMATS, LOG_LEVELS

# Loggers of libraries that are chatty at INFO; they still log warnings and errors.
_QUIET_LIBRARIES = ("aiokafka", "kafka", "aiohttp.access", "botocore", "urllib3")

_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})
_message_fields: ContextVar[Mapping[str, Any]] = ContextVar(
    "cinealert_message_fields", default=_NO_CONTEXT
)


def _merge_message_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the fields bound by message_context/alert_context (explicit keys win)."""
    for key, value in _message_fields.get().items():
        event_dict.setdefault(key, value)
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        _merge_message_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        structlog.processors.StackInfoRenderer(),
    ]


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON unless ``console`` was asked, or ``auto`` and the stream is a terminal."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {LOG_FORMATS}")
    if log_format == "auto":
        return not stream.isatty()
    return log_format == "json"


def configure_logging(
    level: str = "INFO", log_format: str = "auto", stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging through one handler on ``stream`` (stderr).

    Calling it again replaces the previous configuration (tests do this).
    """
    if level not in LOG_LEVELS:
        raise ValueError(f"log level {level!r} is not one of {LOG_LEVELS}")
    output = stream if stream is not None else sys.stderr
    renderer: Processor
    if wants_json(log_format, output):
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=output.isatty())
        final = [renderer]

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Resolving the lazy proxy on every call costs more than the call itself;
        # the processor chain above is the same for every configuration we make.
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # At DEBUG everything shows; otherwise libraries speak from WARNING up.
    quiet_level = max(logging.WARNING, logging.getLevelNamesMapping()[level])
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else quiet_level)


def get_logger(name: str) -> Any:
    """A structlog logger named ``name`` (use the module's ``__name__``)."""
    return structlog.stdlib.get_logger(name)


class BoundFields:
    """Context manager adding ``values`` to the message context for the block."""

    __slots__ = ("_token", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self._token: Token[Mapping[str, Any]] | None = None

    def __enter__(self) -> None:
        self._token = _message_fields.set({**_message_fields.get(), **self._values})

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _message_fields.reset(self._token)
            self._token = None


def message_context(topic: str, partition: int, offset: int) -> BoundFields:
    """Bind topic/partition/offset to every log line inside the block."""
    return BoundFields({"topic": topic, "partition": partition, "offset": offset})


def alert_context(identifier: str, sender: str | None = None) -> BoundFields:
    """Bind the alert identifier (and sender) to every log line inside the block."""
    values: dict[str, Any] = {"alert_id": identifier}
    if sender is not None:
        values["sender"] = sender
    return BoundFields(values)


def bind_alert(identifier: str, sender: str | None = None) -> None:
    """Bind the alert identifier for the rest of the current task's context."""
    values: dict[str, Any] = {"alert_id": identifier}
    if sender is not None:
        values["sender"] = sender
    structlog.contextvars.bind_contextvars(**values)
