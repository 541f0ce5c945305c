"""What a fetched feed holds: CAP alerts to produce (one message each), or links to the
CAP documents of an index feed.

The bytes go to the ``cap`` parser as bytes (the XML declaration decides the encoding).
An alert inside a container (a "fat" ATOM/RSS feed, an EDXL-DE envelope, an
``<alerts>`` list) is cut out as its own XML document, so the input topic carries one
alert per message, keyed by its sender and identifier; an alert that stands alone is
produced byte for byte, so an enveloped signature still verifies downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from cap.containers import find_layout
from cap.document import ParseLimits, parse_document
from cap.model import Alert
from cap.xml_security import XmlLimits, parse_xml
from daemon.feeds.index_entries import entry_expiries
from daemon.feeds.korea import KoreanMessageError, messages_to_cap

KOREAN_MESSAGES = "kr-disaster-message"

# The document kind each declared format must turn out to be ("auto": any).
EXPECTED_KIND = {
    "atom-index": ("index", "atom"),
    "rss-index": ("index", "rss"),
    "atom-fat": ("container", "atom"),
    "rss-fat": ("container", "rss"),
    "edxl-de": ("container", "edxl-de"),
    "cap": ("alert", None),
}


class FeedFormatError(ValueError):
    """The document is not what the feed's format says, or no CAP at all."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class FeedAlert:
    """One CAP alert to produce: its own bytes and its identity."""

    data: bytes
    alert: Alert

    @property
    def key(self) -> str:
        """The Kafka message key: sender and identifier (CAP's identity of a message)."""
        return f"{self.alert.sender}|{self.alert.identifier}"

    @property
    def identity(self) -> str:
        """Sender, identifier and sent: the same triple means the same message."""
        return f"{self.alert.sender}|{self.alert.identifier}|{self.alert.sent.isoformat()}"

    @property
    def expires(self) -> datetime | None:
        """The latest expiry among the alert's infos (None if any has none)."""
        moments = [info.expires for info in self.alert.infos]
        if not moments or any(moment is None for moment in moments):
            return None
        return max(moment for moment in moments if moment is not None)


@dataclass(frozen=True)
class FeedContent:
    """Alerts found, links to follow (index feeds) and alerts refused, with reasons."""

    kind: str
    alerts: tuple[FeedAlert, ...] = ()
    links: tuple[str, ...] = ()
    # Index feeds: the expiry an entry states for its link, where it states one.
    link_expires: dict[str, datetime] = field(default_factory=dict)
    refused: tuple[tuple[bytes, str, str], ...] = ()  # (bytes, error code, message)


def read_feed(data: bytes, base_url: str, format: str, limits: ParseLimits) -> FeedContent:
    """Read one fetched document of a feed declared as ``format``."""
    if format == KOREAN_MESSAGES:
        return _korean_messages(data, limits)
    document = parse_document(data, limits)
    if document.error is not None:
        raise FeedFormatError(document.error.code, document.error.message)
    _check_format(format, document.kind, document.container_format)
    if document.kind == "index":
        expiries = {
            absolute: moment
            for link, moment in entry_expiries(data, limits).items()
            if (absolute := _absolute(base_url, link))
        }
        links = tuple(_absolute(base_url, link) for link in document.index_links)
        return FeedContent(
            "index", links=tuple(link for link in links if link), link_expires=expiries
        )
    if document.kind == "alert":
        return FeedContent("alert", alerts=(FeedAlert(data, document.alerts[0]),))
    return _container_alerts(data, limits)


def _check_format(format: str, kind: str, container_format: str | None) -> None:
    if format == "auto":
        return
    expected_kind, family = EXPECTED_KIND[format]
    found = container_format or ""
    if kind != expected_kind or (family is not None and not found.startswith(family)):
        raise FeedFormatError(
            "feed.format_mismatch",
            f"declared {format!r}, found a {kind} document ({container_format or 'CAP'})",
        )


def _korean_messages(data: bytes, limits: ParseLimits) -> FeedContent:
    try:
        documents = messages_to_cap(data)
    except KoreanMessageError as error:
        raise FeedFormatError("feed.kr_messages", str(error)) from error
    alerts = []
    for document in documents:
        (alert,) = parse_document(document, limits).alerts  # written by us: always valid
        alerts.append(FeedAlert(document, alert))
    return FeedContent("container", alerts=tuple(alerts))


def _container_alerts(data: bytes, limits: ParseLimits) -> FeedContent:
    root = parse_xml(data, XmlLimits(limits.max_bytes, limits.max_depth, limits.max_elements))
    layout = find_layout(root)
    alerts: list[FeedAlert] = []
    refused: list[tuple[bytes, str, str]] = []
    for element, _path in layout.candidates:
        # lxml writes the namespace declarations the element needs: a standalone alert.
        alert_bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
        parsed = parse_document(alert_bytes, limits)
        if parsed.error is not None or not parsed.alerts:
            code = parsed.error.code if parsed.error else "cap.no_alert"
            message = parsed.error.message if parsed.error else "no alert"
            refused.append((alert_bytes, code, message))
            continue
        alerts.append(FeedAlert(alert_bytes, parsed.alerts[0]))
    return FeedContent("container", alerts=tuple(alerts), refused=tuple(refused))


def _absolute(base_url: str, link: str) -> str | None:
    """The link resolved against the feed's URL; None unless it is http(s)."""
    url = urljoin(base_url, link.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None
