"""Recognise what a parsed XML root is and where its CAP alerts are.

Real feeds wrap CAP in ATOM entries, RSS items, EDXL-DE 1.0/2.0 envelopes or an
``<alerts>`` list, or only list links to alerts (index feeds). This module answers, for a
root element: which kind of document it is and which elements are the alert candidates,
in document order. It does not read the alerts themselves (``cap.alert_parser`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cap import errors
from cap.elements import CAP_NAMESPACES
from cap.errors import CapError

ATOM_NS = "http://www.w3.org/2005/Atom"
EDXL_DE_NAMESPACES = {
    "urn:oasis:names:tc:emergency:EDXL:DE:1.0": "edxl-de-1.0",
    "urn:oasis:names:tc:emergency:EDXL:DE:2.0": "edxl-de-2.0",
}
_CAP_ALERT_TAGS = tuple("{" + namespace + "}alert" for namespace in CAP_NAMESPACES)
_ATOM_ENTRY = "{" + ATOM_NS + "}entry"
_ATOM_LINK = "{" + ATOM_NS + "}link"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the alerts of a document are.

    ``kind`` is ``"alert"``, ``"container"`` or ``"index"``; ``candidates`` are the elements
    to read as CAP alerts, each with its element path, in document order.
    """

    kind: str
    container_format: str | None
    candidates: tuple[tuple[etree._Element, str], ...]
    index_links: tuple[str, ...] = ()


def _split_tag(element: etree._Element) -> tuple[str, str]:
    qname = etree.QName(element)
    return qname.namespace or "", qname.localname


def _cap_alerts_within(element: etree._Element) -> list[etree._Element]:
    # iter() with tag names filters in C; CAP never nests alerts, so order is document order.
    return list(element.iter(*_CAP_ALERT_TAGS))


def _with_paths(elements: list[etree._Element]) -> tuple[tuple[etree._Element, str], ...]:
    if not elements:
        return ()
    tree = elements[0].getroottree()
    return tuple((element, tree.getpath(element)) for element in elements)


def _index_layout(container_format: str, links: list[str]) -> Layout:
    if not links:
        # Neither alerts nor links: nothing to deliver and nothing to follow.
        raise CapError(
            errors.CONTAINER_NO_ALERT,
            f"{container_format} feed carries no CAP alert and no links to alerts",
            "/",
        )
    return Layout("index", container_format, (), tuple(links))


def _atom_layout(root: etree._Element) -> Layout:
    entries = [root] if root.tag == _ATOM_ENTRY else list(root.iter(_ATOM_ENTRY))
    # Alerts are looked for in the whole feed: some feeds put one beside the entries.
    alerts = _cap_alerts_within(root)
    links: list[str] = []
    for entry in entries:
        # Without any alert in the feed no entry can hold one: skip the per-entry search.
        if alerts and _cap_alerts_within(entry):
            continue
        links.extend(
            href for link in entry.iter(_ATOM_LINK) if (href := (link.get("href") or "").strip())
        )
    if alerts:
        return Layout("container", "atom", _with_paths(alerts), tuple(links))
    return _index_layout("atom", links)


def _rss_layout(root: etree._Element) -> Layout:
    items = list(root.iter("item"))
    alerts = _cap_alerts_within(root)
    links: list[str] = []
    for item in items:
        if alerts and _cap_alerts_within(item):
            continue
        links.extend(text for link in item.iter("link") if (text := (link.text or "").strip()))
    if alerts:
        return Layout("container", "rss", _with_paths(alerts), tuple(links))
    return _index_layout("rss", links)


def _envelope_layout(root: etree._Element, container_format: str) -> Layout:
    alerts = _cap_alerts_within(root)
    if not alerts:
        raise CapError(
            errors.CONTAINER_NO_ALERT,
            f"{container_format} envelope carries no CAP alert",
            root.getroottree().getpath(root),
        )
    return Layout("container", container_format, _with_paths(alerts))


def _alerts_list_layout(root: etree._Element) -> Layout:
    # Every element child is a candidate, so a non-CAP child is reported, not skipped.
    children = [child for child in root if isinstance(child.tag, str)]
    if not children:
        raise CapError(errors.CONTAINER_NO_ALERT, "<alerts> list is empty", "/alerts")
    return Layout("container", "alerts-list", _with_paths(children))


def find_layout(root: etree._Element) -> Layout:
    """Classify ``root`` and list its alert candidates; raise ``CapError`` if unrecognised."""
    namespace, local = _split_tag(root)
    if local == "alert":
        if namespace in CAP_NAMESPACES:
            return Layout(
                "alert", None, ((root, "/" + (root.prefix + ":" if root.prefix else "") + "alert"),)
            )
        raise CapError(
            errors.CAP_UNKNOWN_NAMESPACE,
            f"<alert> in namespace {namespace!r} is no CAP version (1.0, 1.1, 1.2)",
            "/alert",
        )
    if namespace == ATOM_NS and local in ("feed", "entry"):
        return _atom_layout(root)
    if namespace == "" and local == "rss":
        return _rss_layout(root)
    if local == "EDXLDistribution" and namespace in EDXL_DE_NAMESPACES:
        return _envelope_layout(root, EDXL_DE_NAMESPACES[namespace])
    if local == "alerts" and (namespace in CAP_NAMESPACES or namespace == ""):
        return _alerts_list_layout(root)
    raise CapError(
        errors.INPUT_UNKNOWN_FORMAT,
        f"root element {root.tag!r} is neither CAP nor a known container "
        "(ATOM, RSS, EDXL-DE 1.0/2.0, <alerts>)",
        "/",
    )
