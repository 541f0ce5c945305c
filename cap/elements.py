"""The XML layer under the CAP readers: namespaces, an element's CAP children, named values.

This module owns how CAP elements are found and read from lxml, not what they mean: which
namespaces are CAP (and which version each is), grouping an element's CAP children by
local name with leaf text read in the same pass (``CapChildren``), the text of one element
(``element_text``), ``valueName``/``value`` pairs (``NamedValueReader``) and the warning for
a CAP-namespace element that does not belong where it is. Elements from other namespaces
(``ds:Signature``, extensions) are skipped silently, as CAP allows.
"""

from __future__ import annotations

import functools

from lxml import etree

from cap import errors
from cap.errors import CapError
from cap.model import Issue, NamedValue
from cap.policy import Findings

# CAP namespace -> version.
CAP_NAMESPACES: dict[str, str] = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "urn:oasis:names:tc:emergency:cap:1.0": "1.0",
    "http://www.incident.com/cap/1.0": "1.0",
}

# Children read as elements (they have children of their own, or, for <derefUri>, text
# that is never read: only its presence is recorded, and it holds whole base64-encoded
# media files); all others are read as text.
_STRUCTURED = frozenset(
    ["info", "eventCode", "parameter", "resource", "area", "geocode", "derefUri"]
)


def cap_namespace_of(element: etree._Element) -> str | None:
    """The CAP namespace of ``element`` if it is a CAP ``<alert>``, else ``None``."""
    tag = element.tag
    if not isinstance(tag, str) or not tag.endswith("}alert"):
        return None
    namespace = tag[1 : -len("}alert")]
    return namespace if namespace in CAP_NAMESPACES else None


@functools.cache
def tag_names(namespace: str, known: frozenset[str]) -> dict[str, str]:
    """``{"{namespace}name": "name"}`` for each known name: one dict lookup per child."""
    return {"{" + namespace + "}" + name: name for name in known}


def element_text(element: etree._Element) -> str:
    """The stripped text of ``element``, including text split around comments or children."""
    if len(element):
        # Text split around comments (or child elements) still reads as one string.
        return "".join(element.itertext()).strip()
    text = element.text  # the common case, and the hot path of the whole parser
    return text.strip() if text else ""


def warn_if_unknown_cap_element(
    child: etree._Element, prefix: str, path: str, warnings: list[Issue]
) -> None:
    """Warn about ``child`` if it is in the CAP namespace ``prefix`` (``"{ns}"``).

    Called for children that are not CAP elements at ``path``; comments, processing
    instructions and elements of other namespaces pass without a warning.
    """
    tag = child.tag
    if isinstance(tag, str) and tag.startswith(prefix):
        name = tag[len(prefix) :]
        warnings.append(
            Issue(
                errors.WARN_UNKNOWN_ELEMENT,
                f"<{name}> is not a CAP element here; ignored",
                f"{path}/{name}",
            )
        )


class CapChildren:
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
        name_of = tag_names(namespace, known).get
        for child in element:
            name = name_of(child.tag)  # comments have a function as tag: not found, like others
            if name is None:
                warn_if_unknown_cap_element(child, "{" + namespace + "}", path, warnings)
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


class NamedValueReader:
    """Reads ``<eventCode>``, ``<parameter>`` and ``<geocode>`` pairs for one alert.

    CAP 1.1/1.2 write a pair as ``<valueName>``/``<value>`` children; CAP 1.0 also writes
    ``valueName=value`` as the element's text, which is read as the same ``NamedValue``.
    Under the real-world policy a pair without its ``<valueName>`` keeps its value with an
    empty name, and text in a CAP 1.1/1.2 pair is read as CAP 1.0 would (``cap.missing_required``).
    """

    __slots__ = ("_findings", "_value_name_tag", "_value_tag", "_version")

    def __init__(self, namespace: str, version: str, findings: Findings) -> None:
        self._value_name_tag = "{" + namespace + "}valueName"
        self._value_tag = "{" + namespace + "}value"
        self._version = version
        self._findings = findings

    def read(
        self, elements: list[etree._Element], parent_path: str, name: str
    ) -> tuple[NamedValue, ...]:
        """The pairs of ``elements`` (each called ``name``, children of ``parent_path``)."""
        values: list[NamedValue] = []
        value_name_tag = self._value_name_tag
        value_tag = self._value_tag
        for i, element in enumerate(elements, start=1):
            # Hot path (thousands of geocodes per feed): read the pair without a child map.
            value_name: str | None = None
            value = ""
            has_children = False
            for child in element:
                tag = child.tag
                if tag == value_name_tag:
                    value_name = element_text(child)
                    has_children = True
                elif tag == value_tag:
                    value = element_text(child)
                    has_children = True
            if has_children:
                if not value_name:
                    self._findings.tolerate(
                        CapError(
                            errors.CAP_MISSING_ELEMENT,
                            "required <valueName> is "
                            + ("empty" if value_name == "" else "missing"),
                            f"{parent_path}/{name}[{i}]/valueName",
                        ),
                        errors.WARN_MISSING_REQUIRED,
                        f"value {value!r} kept with an empty valueName",
                    )
                values.append(NamedValue(name=value_name or "", value=value))
                continue
            values.extend(self._read_text(element, f"{parent_path}/{name}[{i}]", name))
        return tuple(values)

    def _read_text(self, element: etree._Element, path: str, name: str) -> tuple[NamedValue, ...]:
        """A named value written as text: CAP 1.0's ``valueName=value``, or an empty one."""
        text = element_text(element)
        key, equals, value = text.partition("=")
        if self._version == "1.0" and equals:
            return (NamedValue(name=key.strip(), value=value.strip()),)
        if not text:
            self._findings.warn(errors.WARN_EMPTY_ELEMENT, f"<{name}> is empty", path)
            return ()
        pair = NamedValue(name=key.strip(), value=value.strip()) if equals else NamedValue("", text)
        self._findings.tolerate(
            CapError(
                errors.CAP_MISSING_ELEMENT,
                f"<{name}> {text[:60]!r} has no <valueName>/<value>",
                path,
            ),
            errors.WARN_MISSING_REQUIRED,
            f"read as valueName {pair.name!r}, value {pair.value!r}",
        )
        return (pair,)
