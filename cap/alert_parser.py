"""One CAP ``<alert>`` element (CAP 1.0, 1.1 or 1.2) to a validated ``cap.model.Alert``.

The three versions are read by one reader: element names barely changed between them.
Where CAP 1.0 differs it is mapped onto CAP 1.2: ``valueName=value`` text becomes a
``NamedValue``, ``<password>`` is dropped with a warning, ``Very Likely`` becomes ``Likely``.
Elements from other namespaces (``ds:Signature``, extensions) are ignored, as CAP allows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from lxml import etree

from cap import errors, model
from cap.datetimes import parse_cap_datetime
from cap.errors import CapError
from cap.model import Alert, Area, Circle, Info, Issue, NamedValue, Polygon, Resource
from cap.validate import (
    DEPRECATED_CERTAINTIES,
    check_enum,
    check_identifier,
    check_language,
    parse_circle,
    parse_number,
    parse_polygon,
    parse_references,
)

# CAP namespace -> version.
CAP_NAMESPACES: dict[str, str] = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "urn:oasis:names:tc:emergency:cap:1.0": "1.0",
    "http://www.incident.com/cap/1.0": "1.0",
}

# Elements each level defines in any CAP version (the union, so 1.0 and 1.2 both pass).
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
_AREA_ELEMENTS = frozenset(["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"])

# CAP 1.0 has no "Draft" status or "Avoid"/"AllClear" responses; accepting the CAP 1.2
# superset for every version keeps one model and refuses nothing a 1.2 reader would read.
_STATUSES = model.STATUSES
_T = TypeVar("_T")


@functools.cache
def _tag_names(namespace: str, known: frozenset[str]) -> dict[str, str]:
    """``{"{namespace}name": "name"}`` for each known name: one dict lookup per child."""
    return {"{" + namespace + "}" + name: name for name in known}


# Children read as elements (they have children of their own, or, for <derefUri>, text
# that is never read: only its presence is recorded, and it holds whole base64-encoded
# media files); all others are read as text.
_STRUCTURED = frozenset(
    ["info", "eventCode", "parameter", "resource", "area", "geocode", "derefUri"]
)


class _Element:
    """The CAP-namespace children of one element, grouped by local name.

    Leaf children are read to their stripped text in the same pass (the hot path of the
    parser); structured children (``info``, ``area``, ...) are kept as elements.
    """

    __slots__ = ("children", "path", "values")

    def __init__(
        self,
        element: etree._Element,
        namespace: str,
        path: str,
        known: frozenset[str],
        warnings: list[Issue],
    ) -> None:
        self.path = path
        children: dict[str, list[etree._Element]] = {}
        values: dict[str, list[str]] = {}
        name_of = _tag_names(namespace, known).get
        for child in element:
            tag = child.tag
            name = name_of(tag)  # comments have a function as tag: not found, like others
            if name is None:
                if isinstance(tag, str) and tag.startswith("{" + namespace + "}"):
                    local = tag[len(namespace) + 2 :]
                    warnings.append(
                        Issue(
                            errors.WARN_UNKNOWN_ELEMENT,
                            f"<{local}> is not a CAP element here; ignored",
                            f"{path}/{local}",
                        )
                    )
                continue  # comments, processing instructions, other namespaces
            if name in _STRUCTURED:
                siblings = children.get(name)
                if siblings is None:
                    children[name] = [child]
                else:
                    siblings.append(child)
                continue
            # Text split around comments still reads as one string.
            text = "".join(child.itertext()) if len(child) else (child.text or "")
            texts = values.get(name)
            if texts is None:
                values[name] = [text.strip()]
            else:
                texts.append(text.strip())
        self.children = children
        self.values = values

    def all(self, name: str) -> list[etree._Element]:
        """The structured children called ``name``."""
        return self.children.get(name, [])

    def present(self, name: str) -> bool:
        """Whether a child called ``name`` exists (even empty)."""
        return name in self.values or name in self.children

    def texts(self, name: str) -> list[tuple[str, str]]:
        """(text, path) for each leaf child called ``name``, text stripped."""
        return [
            (text, f"{self.path}/{name}[{i}]")
            for i, text in enumerate(self.values.get(name, ()), start=1)
        ]

    def optional(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] or None if found else None

    def required(self, name: str) -> str:
        found = self.values.get(name)
        text = found[0] if found else ""
        if not text:
            state = "is empty" if found else "is missing"
            raise CapError(
                errors.CAP_MISSING_ELEMENT, f"required <{name}> {state}", f"{self.path}/{name}"
            )
        return text


def _text(element: etree._Element) -> str:
    if len(element):
        # Text split around comments (or child elements) still reads as one string.
        return "".join(element.itertext()).strip()
    text = element.text  # the common case, and the hot path of the whole parser
    return text.strip() if text else ""


class _AlertReader:
    """Reads one alert element; collects warnings as it goes."""

    def __init__(self, namespace: str, path: str) -> None:
        self.namespace = namespace
        self.version = CAP_NAMESPACES[namespace]
        self.prefix = "{" + namespace + "}"
        self._areas_seen: dict[str, Area] = {}
        self.path = path
        self.warnings: list[Issue] = []

    def _children(self, element: etree._Element, path: str, known: frozenset[str]) -> _Element:
        return _Element(element, self.namespace, path, known, self.warnings)

    def _datetime(self, text: str, location: str) -> datetime:
        parsed = parse_cap_datetime(text, location)
        if parsed.used_z:
            self.warnings.append(
                Issue(
                    errors.WARN_DATETIME_UTC_Z,
                    f"{text!r} uses 'Z'; CAP requires '-00:00' for UTC",
                    location,
                )
            )
        return parsed.value

    def _optional_datetime(self, node: _Element, name: str) -> datetime | None:
        text = node.optional(name)
        return None if text is None else self._datetime(text, f"{node.path}/{name}")

    def _named_values(self, node: _Element, name: str) -> tuple[NamedValue, ...]:
        return self._named_value_elements(node.all(name), node.path, name)

    def _named_value_elements(
        self, elements: list[etree._Element], parent_path: str, name: str
    ) -> tuple[NamedValue, ...]:
        values: list[NamedValue] = []
        value_name_tag = self.prefix + "valueName"
        value_tag = self.prefix + "value"
        for i, element in enumerate(elements, start=1):
            # Hot path (thousands of geocodes per feed): read the pair without a child map.
            value_name: str | None = None
            value = ""
            has_children = False
            for child in element:
                tag = child.tag
                if tag == value_name_tag:
                    value_name = _text(child)
                    has_children = True
                elif tag == value_tag:
                    value = _text(child)
                    has_children = True
            if has_children:
                if not value_name:
                    raise CapError(
                        errors.CAP_MISSING_ELEMENT,
                        "required <valueName> is " + ("empty" if value_name == "" else "missing"),
                        f"{parent_path}/{name}[{i}]/valueName",
                    )
                values.append(NamedValue(name=value_name, value=value))
                continue
            values.extend(self._named_value_text(element, f"{parent_path}/{name}[{i}]", name))
        return tuple(values)

    def _named_value_text(
        self, element: etree._Element, path: str, name: str
    ) -> tuple[NamedValue, ...]:
        """A named value written as text: CAP 1.0's ``valueName=value``, or an empty one."""
        text = _text(element)
        if self.version == "1.0" and "=" in text:
            key, _, value = text.partition("=")
            return (NamedValue(name=key.strip(), value=value.strip()),)
        if text:
            raise CapError(
                errors.CAP_MISSING_ELEMENT,
                f"<{name}> {text[:60]!r} has no <valueName>/<value>",
                path,
            )
        self.warnings.append(Issue(errors.WARN_EMPTY_ELEMENT, f"<{name}> is empty", path))
        return ()

    def _enum_list(self, node: _Element, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            check_enum(text, allowed, path, self.warnings) for text, path in node.texts(name)
        )

    def read(self, element: etree._Element) -> Alert:
        node = self._children(element, self.path, _ALERT_ELEMENTS)
        identifier = check_identifier(
            node.required("identifier"), f"{self.path}/identifier", self.warnings
        )
        sender = check_identifier(node.required("sender"), f"{self.path}/sender", self.warnings)
        sent = self._datetime(node.required("sent"), f"{self.path}/sent")
        status = check_enum(
            node.required("status"), _STATUSES, f"{self.path}/status", self.warnings
        )
        msg_type = check_enum(
            node.required("msgType"), model.MSG_TYPES, f"{self.path}/msgType", self.warnings
        )
        scope = check_enum(
            node.required("scope"), model.SCOPES, f"{self.path}/scope", self.warnings
        )
        if node.present("password"):
            self.warnings.append(
                Issue(
                    errors.WARN_CAP10_PASSWORD,
                    "CAP 1.0 <password> dropped",
                    f"{self.path}/password",
                )
            )
        references: tuple[model.Reference, ...] = ()
        if node.present("references"):
            references = parse_references(
                node.values["references"][0],
                f"{self.path}/references",
                self.warnings,
                self.version,
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
        )

    def _info(self, element: etree._Element, path: str) -> Info:
        node = self._children(element, path, _INFO_ELEMENTS)
        language = check_language(
            node.optional("language") or "en-US", f"{path}/language", self.warnings
        )
        categories = self._enum_list(node, "category", model.CATEGORIES)
        if not categories:
            # Required by CAP, yet real feeds (Sahana) omit it; the event still classifies.
            self.warnings.append(
                Issue(errors.WARN_MISSING_CATEGORY, "<category> is missing", f"{path}/category")
            )
        return Info(
            language=language,
            categories=categories,
            event=node.required("event"),
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
            areas=self._each(node, "area", self._area),
        )

    def _info_enum(
        self,
        node: _Element,
        name: str,
        allowed: tuple[str, ...],
        deprecated: Mapping[str, str] | None = None,
    ) -> str:
        """Urgency/severity/certainty: absent is refused, present but empty reads as Unknown."""
        location = f"{node.path}/{name}"
        if node.present(name) and not node.optional(name):
            self.warnings.append(
                Issue(errors.WARN_EMPTY_ENUM, f"<{name}> is empty; read as 'Unknown'", location)
            )
            return "Unknown"
        return check_enum(node.required(name), allowed, location, self.warnings, deprecated)

    def _each(
        self,
        node: _Element,
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
            if not size_text.isdigit():
                raise CapError(
                    errors.CAP_INVALID_NUMBER,
                    f"size {size_text!r} is not a whole number",
                    f"{path}/size",
                )
            size = int(size_text)
        return Resource(
            resource_desc=node.required("resourceDesc"),
            mime_type=node.optional("mimeType"),
            size=size,
            uri=node.optional("uri"),
            digest=node.optional("digest"),
            has_deref=node.present("derefUri"),
        )

    def _area(self, element: etree._Element, path: str) -> Area:
        # Multilingual alerts repeat every area in each <info> (a DWD alert: 8 x 169), and
        # areas are immutable, so identical area elements are read once per alert. Their
        # warnings, if any, are reported once, at the first occurrence.
        # Serialised to str: lossless like bytes, and faster, since the default ASCII output
        # writes every non-ASCII character (German area names) as a character reference.
        key = etree.tostring(element, encoding="unicode", with_tail=False)
        known = self._areas_seen.get(key)
        if known is None:
            known = self._read_area(element, path)
            self._areas_seen[key] = known
        return known

    def _read_area(self, element: etree._Element, path: str) -> Area:
        # Areas are the most numerous blocks, so they are read in one pass over the children
        # instead of through a generic child map.
        kinds = _area_tag_kinds(self.namespace)
        area_desc: str | None = None
        polygon_texts: list[str] = []
        circle_texts: list[str] = []
        geocodes: list[etree._Element] = []
        altitude_text: str | None = None
        ceiling_text: str | None = None
        for child in element:
            kind = kinds.get(child.tag)  # comments have a function as tag: not found
            if kind is None:
                self._warn_if_unknown_cap_element(child, path)
                continue
            if kind == "geocode":
                geocodes.append(child)
                continue
            text = _text(child)
            if kind == "areaDesc":
                area_desc = text if area_desc is None else area_desc
            elif kind == "altitude":
                altitude_text = text if altitude_text is None else altitude_text
            elif kind == "ceiling":
                ceiling_text = text if ceiling_text is None else ceiling_text
            elif kind == "polygon":
                polygon_texts.append(text)
            else:
                circle_texts.append(text)
        if not area_desc:
            state = "is missing" if area_desc is None else "is empty"
            raise CapError(
                errors.CAP_MISSING_ELEMENT, f"required <areaDesc> {state}", f"{path}/areaDesc"
            )
        altitude = (
            parse_number(altitude_text, f"{path}/altitude", "altitude") if altitude_text else None
        )
        ceiling = parse_number(ceiling_text, f"{path}/ceiling", "ceiling") if ceiling_text else None
        if ceiling is not None and altitude is None:
            raise CapError(
                errors.CAP_MISSING_ELEMENT,
                f"<ceiling> {ceiling_text!r} needs an <altitude>",
                f"{path}/altitude",
            )
        return Area(
            area_desc=area_desc,
            polygons=self._polygons(polygon_texts, path) if polygon_texts else (),
            circles=self._circles(circle_texts, path) if circle_texts else (),
            geocodes=self._named_value_elements(geocodes, path, "geocode") if geocodes else (),
            altitude=altitude,
            ceiling=ceiling,
        )

    def _polygons(self, texts: list[str], path: str) -> tuple[Polygon, ...]:
        return tuple(
            polygon
            for i, text in enumerate(texts, start=1)
            if (polygon := parse_polygon(text, f"{path}/polygon[{i}]", self.warnings)) is not None
        )

    def _circles(self, texts: list[str], path: str) -> tuple[Circle, ...]:
        return tuple(
            circle
            for i, text in enumerate(texts, start=1)
            if (circle := parse_circle(text, f"{path}/circle[{i}]", self.warnings)) is not None
        )

    def _warn_if_unknown_cap_element(self, child: etree._Element, path: str) -> None:
        tag = child.tag
        if isinstance(tag, str) and tag.startswith(self.prefix):
            name = tag[len(self.prefix) :]
            self.warnings.append(
                Issue(
                    errors.WARN_UNKNOWN_ELEMENT,
                    f"<{name}> is not a CAP element here; ignored",
                    f"{path}/{name}",
                )
            )


@functools.cache
def _area_tag_kinds(namespace: str) -> dict[str, str]:
    return {"{" + namespace + "}" + name: name for name in _AREA_ELEMENTS}


def cap_namespace_of(element: etree._Element) -> str | None:
    """The CAP namespace of ``element`` if it is a CAP ``<alert>``, else ``None``."""
    tag = element.tag
    if not isinstance(tag, str) or not tag.endswith("}alert"):
        return None
    namespace = tag[1 : -len("}alert")]
    return namespace if namespace in CAP_NAMESPACES else None


def parse_alert_element(element: etree._Element, path: str = "/alert") -> tuple[Alert, list[Issue]]:
    """Read and validate one CAP alert element; return it and its warnings, or raise."""
    namespace = cap_namespace_of(element)
    if namespace is None:
        raise CapError(
            errors.CAP_UNKNOWN_NAMESPACE,
            f"element {element.tag!r} is not an alert in a CAP 1.0/1.1/1.2 namespace",
            path,
        )
    reader = _AlertReader(namespace, path)
    alert = reader.read(element)
    return alert, reader.warnings
