"""The entry point of ``cap``: bytes of one input document to a ``ParsedDocument``.

``parse_document`` never raises for bad input. A refusal of the whole input becomes
``ParsedDocument(error=...)``; an invalid alert inside a container becomes a ``Rejected``
entry while its valid siblings are kept; profile-level oddities become ``warnings``.

What counts as invalid is the parse policy's (``cap.policy``): ``real-world`` by default
(real alerts are not dropped for small defects: those with a safe reading become warnings),
``strict`` for validators (every CAP rule refuses). ``docs/cap-policy.md`` has the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from cap import errors
from cap.alert_parser import parse_alert_element
from cap.containers import find_layout
from cap.errors import CapError
from cap.model import Alert, Issue, ParsedDocument, Rejected
from cap.policy import DEFAULT_MAX_POLYGON_POINTS, DEFAULT_POLICY, ParsePolicy
from cap.xml_security import XmlLimits, parse_xml


@dataclass(frozen=True)
class ParseLimits:
    """Resource limits per input document; every one is configurable."""

    # The corpus carries a ~600 KB alert with embedded audio and images; 5 MiB leaves room
    # for such media while bounding the memory one message can take.
    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 64
    max_elements: int = 50_000
    max_alerts: int = 1000  # per container
    max_polygon_points: int = DEFAULT_MAX_POLYGON_POINTS  # per <polygon>

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_depth", "max_elements", "max_alerts", "max_polygon_points"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ParseLimits.{name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = ParseLimits()


def _issue(error: CapError) -> Issue:
    return Issue(code=error.code, message=error.message, location=error.location)


def parse_document(
    data: bytes,
    limits: ParseLimits | None = None,
    policy: ParsePolicy | str = DEFAULT_POLICY,
) -> ParsedDocument:
    """Parse, secure-check and validate one input document (a CAP alert or a container).

    ``policy`` is a ``ParsePolicy`` or its value (``"real-world"``, ``"strict"``); any
    other value raises ``ValueError`` (a programming error, not bad input).
    """
    limits = limits or DEFAULT_LIMITS
    policy = ParsePolicy(policy)
    try:
        root = parse_xml(data, XmlLimits(limits.max_bytes, limits.max_depth, limits.max_elements))
        layout = find_layout(root)
    except CapError as error:
        return ParsedDocument(kind="unknown", error=_issue(error))
    if len(layout.candidates) > limits.max_alerts:
        return ParsedDocument(
            kind=layout.kind,
            container_format=layout.container_format,
            error=Issue(
                errors.CONTAINER_TOO_MANY_ALERTS,
                f"container holds {len(layout.candidates)} alerts, "
                f"more than the limit of {limits.max_alerts}",
            ),
        )
    alerts: list[Alert] = []
    rejected: list[Rejected] = []
    warnings: list[Issue] = []
    for index, (element, path) in enumerate(layout.candidates):
        try:
            alert, alert_warnings = parse_alert_element(
                element, path, policy, limits.max_polygon_points
            )
        except CapError as error:
            if layout.kind == "alert":
                return ParsedDocument(kind="alert", error=_issue(error))
            rejected.append(Rejected(index=index, error=_issue(error)))
            continue
        alerts.append(alert)
        warnings.extend(alert_warnings)
    return ParsedDocument(
        kind=layout.kind,
        alerts=tuple(alerts),
        rejected=tuple(rejected),
        warnings=tuple(warnings),
        container_format=layout.container_format,
        index_links=layout.index_links,
    )
