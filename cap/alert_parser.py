"""One CAP ``<alert>`` element (CAP 1.0, 1.1 or 1.2) to a validated ``cap.model.Alert``.

The three versions are read by one reader: element names barely changed between them.
What a defect costs depends on the parse policy (``cap.policy``, ``docs/cap-policy.md``):
under ``real-world`` only identity (``identifier``, ``sender``, ``sent``) and a missing or
unknown ``status``/``msgType``/``scope`` refuse an alert; under ``strict`` every rule does.
Where CAP 1.0 differs it is mapped onto CAP 1.2: ``valueName=value`` text becomes a
``NamedValue``, ``<password>`` is dropped with a warning, ``Very Likely`` becomes ``Likely``.
Elements from other namespaces (``ds:Signature``, extensions) are ignored, as CAP allows.

This module owns the ``<alert>``, ``<info>`` and ``<resource>`` levels and the entry point
``parse_alert_element``. ``<area>`` blocks are read by ``cap.area_reader``; namespaces,
child grouping and named values are ``cap.elements``'s (``CAP_NAMESPACES`` and
``cap_namespace_of`` are re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from lxml import etree

from cap import errors, model
from cap.area_reader import AreaReader
from cap.datetimes import parse_cap_datetime
from cap.elements import CAP_NAMESPACES, CapChildren, NamedValueReader, cap_namespace_of
from cap.errors import CapError
from cap.model import Alert, Info, Issue, NamedValue, Resource
from cap.policy import DEFAULT_MAX_POLYGON_POINTS, DEFAULT_POLICY, Findings, ParsePolicy
from cap.validate import (
    DEPRECATED_CERTAINTIES,
    UNKNOWN,
    check_enum,
    check_identifier,
    check_language,
    parse_references,
    read_enum_entry,
    read_info_enum,
)

__all__ = ["CAP_NAMESPACES", "cap_namespace_of", "parse_alert_element"]

# Elements each level defines in any CAP version (the union, so 1.0 and 1.2 both pass);
# <area>'s are cap.area_reader.AREA_ELEMENTS.
_ALERT_ELEMENTS = frozenset(
    [
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "source",
        "scope",
        "restriction",
        "addresses",
        "code",
        "note",
        "references",
        "incidents",
        "info",
        "password",
    ]
)
_INFO_ELEMENTS = frozenset(
    [
        "language",
        "category",
        "event",
        "responseType",
        "urgency",
        "severity",
        "certainty",
        "audience",
        "eventCode",
        "effective",
        "onset",
        "expires",
        "senderName",
        "headline",
        "description",
        "instruction",
        "web",
        "contact",
        "parameter",
        "resource",
        "area",
    ]
)
_RESOURCE_ELEMENTS = frozenset(["resourceDesc", "mimeType", "size", "uri", "derefUri", "digest"])

# CAP 1.0 has no "Draft" status or "Avoid"/"AllClear" responses; accepting the CAP 1.2
# superset for every version keeps one model and refuses nothing a 1.2 reader would read.
_STATUSES = model.STATUSES
_T = TypeVar("_T")


class _AlertReader:
    """Reads one alert element; collects warnings as it goes."""

    def __init__(
        self, namespace: str, path: str, policy: ParsePolicy, max_polygon_points: int
    ) -> None:
        self.namespace = namespace
        self.version = CAP_NAMESPACES[namespace]
        self.path = path
        self.findings = Findings(policy, max_polygon_points)
        self.warnings = self.findings.warnings
        self._named_value_reader = NamedValueReader(namespace, self.version, self.findings)
        self._areas = AreaReader(namespace, self._named_value_reader, self.findings)

    def _children(self, element: etree._Element, path: str, known: frozenset[str]) -> CapChildren:
        return CapChildren(element, self.namespace, path, known, self.warnings)

    def _datetime(self, text: str, location: str) -> datetime:
        parsed = parse_cap_datetime(text, location)
        if parsed.used_z:
            self.findings.warn(
                errors.WARN_DATETIME_UTC_Z,
                f"{text!r} uses 'Z'; CAP requires '-00:00' for UTC",
                location,
            )
        return parsed.value

    def _optional_datetime(self, node: CapChildren, name: str) -> datetime | None:
        """effective/onset/expires: unreadable is dropped (real-world) or refused (strict)."""
        text = node.optional(name)
        if text is None:
            return None
        try:
            return self._datetime(text, f"{node.path}/{name}")
        except CapError as error:
            self.findings.tolerate(error, errors.WARN_VALUE_DROPPED, f"<{name}> read as absent")
            return None

    def _required_text(self, node: CapChildren, name: str, action: str) -> str:
        """A required element that is not identity: absent or empty reads as '' (real-world)."""
        try:
            return node.required(name)
        except CapError as error:
            self.findings.tolerate(error, errors.WARN_MISSING_REQUIRED, action)
            return ""

    def _named_values(self, node: CapChildren, name: str) -> tuple[NamedValue, ...]:
        return self._named_value_reader.read(node.all(name), node.path, name)

    def _enum_list(self, node: CapChildren, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        findings = self.findings
        read = (read_enum_entry(text, allowed, path, findings) for text, path in node.texts(name))
        return tuple(value for value in read if value is not None)

    def read(self, element: etree._Element) -> Alert:
        node = self._children(element, self.path, _ALERT_ELEMENTS)
        # Identity and routing: refused when missing or unknown, under every policy.
        findings = self.findings
        identifier = check_identifier(
            node.required("identifier"), f"{self.path}/identifier", findings
        )
        sender = check_identifier(node.required("sender"), f"{self.path}/sender", findings)
        sent = self._datetime(node.required("sent"), f"{self.path}/sent")
        status = check_enum(node.required("status"), _STATUSES, f"{self.path}/status", findings)
        msg_type = check_enum(
            node.required("msgType"), model.MSG_TYPES, f"{self.path}/msgType", findings
        )
        scope = check_enum(node.required("scope"), model.SCOPES, f"{self.path}/scope", findings)
        if node.present("password"):
            findings.warn(
                errors.WARN_CAP10_PASSWORD, "CAP 1.0 <password> dropped", f"{self.path}/password"
            )
        references: tuple[model.Reference, ...] = ()
        if node.present("references"):
            references = parse_references(
                node.values["references"][0], f"{self.path}/references", findings, self.version
            )
        infos = tuple(
            self._info(info, f"{self.path}/info[{i}]")
            for i, info in enumerate(node.all("info"), start=1)
        )
        return Alert(
            cap_version=self.version,
            identifier=identifier,
            sender=sender,
            sent=sent,
            status=status,
            msg_type=msg_type,
            scope=scope,
            source=node.optional("source"),
            restriction=node.optional("restriction"),
            addresses=node.optional("addresses"),
            codes=tuple(text for text, _ in node.texts("code") if text),
            note=node.optional("note"),
            references=references,
            incidents=node.optional("incidents"),
            infos=infos,
            warnings=tuple(self.warnings),
        )

    def _info(self, element: etree._Element, path: str) -> Info:
        node = self._children(element, path, _INFO_ELEMENTS)
        language = check_language(
            node.optional("language") or "en-US", f"{path}/language", self.findings
        )
        categories = self._enum_list(node, "category", model.CATEGORIES)
        if not node.texts("category"):
            # Required by CAP, yet real feeds (Sahana) omit it; the event still classifies.
            self.findings.warn(
                errors.WARN_MISSING_CATEGORY, "<category> is missing", f"{path}/category"
            )
        return Info(
            language=language,
            categories=categories,
            event=self._required_text(
                node, "event", "read as ''; the hazard is read from eventCode and headline"
            ),
            urgency=self._info_enum(node, "urgency", model.URGENCIES),
            severity=self._info_enum(node, "severity", model.SEVERITIES),
            certainty=self._info_enum(node, "certainty", model.CERTAINTIES, DEPRECATED_CERTAINTIES),
            response_types=self._enum_list(node, "responseType", model.RESPONSE_TYPES),
            audience=node.optional("audience"),
            event_codes=self._named_values(node, "eventCode"),
            effective=self._optional_datetime(node, "effective"),
            onset=self._optional_datetime(node, "onset"),
            expires=self._optional_datetime(node, "expires"),
            sender_name=node.optional("senderName"),
            headline=node.optional("headline"),
            description=node.optional("description"),
            instruction=node.optional("instruction"),
            web=node.optional("web"),
            contact=node.optional("contact"),
            parameters=self._named_values(node, "parameter"),
            resources=self._each(node, "resource", self._resource),
            areas=self._each(node, "area", self._areas.read),
        )

    def _info_enum(
        self,
        node: CapChildren,
        name: str,
        allowed: tuple[str, ...],
        deprecated: Mapping[str, str] | None = None,
    ) -> str:
        """Urgency/severity/certainty: empty reads as Unknown under every policy; absent or
        outside CAP's list reads as Unknown under the real-world policy, is refused under strict.
        """
        location = f"{node.path}/{name}"
        if node.present(name) and not node.optional(name):
            self.findings.warn(
                errors.WARN_EMPTY_ENUM, f"<{name}> is empty; read as {UNKNOWN!r}", location
            )
            return UNKNOWN
        if not node.present(name):
            self.findings.tolerate(
                CapError(errors.CAP_MISSING_ELEMENT, f"required <{name}> is missing", location),
                errors.WARN_MISSING_ENUM,
                f"read as {UNKNOWN!r}",
            )
            return UNKNOWN
        return read_info_enum(node.required(name), allowed, location, self.findings, deprecated)

    def _each(
        self,
        node: CapChildren,
        name: str,
        read: Callable[[etree._Element, str], _T],
    ) -> tuple[_T, ...]:
        return tuple(
            read(child, f"{node.path}/{name}[{i}]")
            for i, child in enumerate(node.all(name), start=1)
        )

    def _resource(self, element: etree._Element, path: str) -> Resource:
        node = self._children(element, path, _RESOURCE_ELEMENTS)
        size_text = node.optional("size")
        size: int | None = None
        if size_text is not None:
            if size_text.isdigit():
                size = int(size_text)
            else:
                self.findings.tolerate(
                    CapError(
                        errors.CAP_INVALID_NUMBER,
                        f"size {size_text!r} is not a whole number",
                        f"{path}/size",
                    ),
                    errors.WARN_VALUE_DROPPED,
                    "size dropped",
                )
        return Resource(
            resource_desc=self._required_text(node, "resourceDesc", "read as ''"),
            mime_type=node.optional("mimeType"),
            size=size,
            uri=node.optional("uri"),
            digest=node.optional("digest"),
            has_deref=node.present("derefUri"),
        )


def parse_alert_element(
    element: etree._Element,
    path: str = "/alert",
    policy: ParsePolicy = DEFAULT_POLICY,
    max_polygon_points: int = DEFAULT_MAX_POLYGON_POINTS,
) -> tuple[Alert, list[Issue]]:
    """Read and validate one CAP alert element under ``policy``; return it and its warnings
    (also on ``Alert.warnings``), or raise ``CapError`` for a refusal. A polygon of more
    than ``max_polygon_points`` points is treated as malformed (dropped, or refused under
    the strict policy).
    """
    namespace = cap_namespace_of(element)
    if namespace is None:
        raise CapError(
            errors.CAP_UNKNOWN_NAMESPACE,
            f"element {element.tag!r} is not an alert in a CAP 1.0/1.1/1.2 namespace",
            path,
        )
    reader = _AlertReader(namespace, path, policy, max_polygon_points)
    alert = reader.read(element)
    return alert, reader.warnings
