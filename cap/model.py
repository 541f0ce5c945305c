"""Typed, immutable CAP objects: the one model that CAP 1.0, 1.1 and 1.2 are normalised to.

Every value here has already been validated by the parser (`cap.document`); the
dataclasses do not re-check, they only carry. Enumerated values keep the spelling
of CAP 1.2 (e.g. ``"Actual"``, ``"Immediate"``); older versions are mapped onto it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Enumerations, as spelled in CAP 1.2 (facts from the OASIS specification).
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
RESPONSE_TYPES = (
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


@dataclass(frozen=True, slots=True)
class Reference:
    """One ``sender,identifier,sent`` triple from ``<references>``."""

    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True, slots=True)
class NamedValue:
    """A ``<valueName>``/``<value>`` pair (eventCode, parameter, geocode)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Point:
    """WGS 84 coordinate in decimal degrees."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Polygon:
    """A closed ring: first point equals the last, at least four points."""

    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Circle:
    """Centre point and radius in kilometres."""

    center: Point
    radius_km: float


@dataclass(frozen=True, slots=True)
class Area:
    area_desc: str
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[NamedValue, ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    resource_desc: str
    mime_type: str | None = None
    size: int | None = None
    uri: str | None = None
    digest: str | None = None
    # Embedded base64 content is not kept (it can be megabytes); only whether it was there.
    has_deref: bool = False


@dataclass(frozen=True, slots=True)
class Info:
    """One ``<info>`` block: the alert in one language."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    audience: str | None = None
    event_codes: tuple[NamedValue, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[NamedValue, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    """A validated CAP alert message, whatever CAP version it arrived in."""

    cap_version: str  # "1.0", "1.1" or "1.2"
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: str | None = None
    infos: tuple[Info, ...] = ()
    # What the parser tolerated or noticed in this alert (code, message, element path);
    # the same issues are in ``ParsedDocument.warnings``. Not part of the alert's value.
    warnings: tuple[Issue, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, datetime]:
        """The (sender, identifier, sent) triple that identifies a message (CAP 1.2 §3.2.1)."""
        return (self.sender, self.identifier, self.sent)


@dataclass(frozen=True, slots=True)
class Issue:
    """A machine-readable code with a human message, used for warnings and errors."""

    code: str
    message: str
    location: str | None = None  # element path or line, when known


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item of a container that was refused while its siblings were kept."""

    index: int
    error: Issue


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """What one input document turned into.

    ``kind`` is ``"alert"`` for a bare CAP alert, ``"container"`` for ATOM/RSS entries,
    EDXL-DE envelopes and ``<alerts>`` lists that carry CAP, ``"index"`` for feeds that only
    list summaries or links, and ``"unknown"`` when refused before the kind was known.
    ``error`` set means the whole input was refused (``ok`` is False).
    """

    kind: str
    alerts: tuple[Alert, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    warnings: tuple[Issue, ...] = ()
    error: Issue | None = None
    container_format: str | None = None  # e.g. "atom", "rss", "edxl-de-1.0", "alerts-list"
    index_links: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None
