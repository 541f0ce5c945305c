"""What an index feed says about each linked CAP document before it is fetched.

NWS ATOM entries and the WMO severe-weather RSS items carry CAP summary fields in a CAP
namespace (``<cap:expires>``, ``<cap:msgType>``, ...). An entry whose ``expires`` has
passed needs no fetch: its alert would be skipped anyway, and a busy index of a large
country lists hundreds of them. Entries without the field are fetched as usual.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from cap.containers import ATOM_NS
from cap.datetimes import parse_cap_datetime
from cap.document import ParseLimits
from cap.elements import CAP_NAMESPACES
from cap.errors import CapError
from cap.xml_security import XmlLimits, parse_xml

_ATOM_ENTRY = f"{{{ATOM_NS}}}entry"
_ATOM_LINK = f"{{{ATOM_NS}}}link"
_EXPIRES = tuple(f"{{{namespace}}}expires" for namespace in CAP_NAMESPACES)


def entry_expiries(data: bytes, limits: ParseLimits) -> dict[str, datetime]:
    """Link (as written in the index) -> the ``expires`` its entry states, for the
    entries that state one; an unreadable date is left out (the link is fetched)."""
    try:
        root = parse_xml(data, XmlLimits(limits.max_bytes, limits.max_depth, limits.max_elements))
    except CapError:
        return {}
    found: dict[str, datetime] = {}
    for entry, links in _entries(root):
        expires = _expires_of(entry)
        if expires is not None:
            found.update(dict.fromkeys(links, expires))
    return found


def _entries(root: etree._Element) -> list[tuple[etree._Element, list[str]]]:
    atom = [
        (
            entry,
            [href for link in entry.iter(_ATOM_LINK) if (href := (link.get("href") or "").strip())],
        )
        for entry in root.iter(_ATOM_ENTRY)
    ]
    rss = [
        (item, [text for link in item.iter("link") if (text := (link.text or "").strip())])
        for item in root.iter("item")
    ]
    return atom + rss


def _expires_of(entry: etree._Element) -> datetime | None:
    for element in entry.iter(*_EXPIRES):
        try:
            return parse_cap_datetime((element.text or "").strip(), "index entry").value
        except CapError:
            return None
    return None
