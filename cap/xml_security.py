"""Hardened XML parsing: bytes in, an lxml element out, or a typed refusal.

The parser never loads a DTD, never resolves an entity, never touches the network or
the filesystem and never processes XInclude. Rather than silently dropping DTDs and
entities (which would hide an attack in the logs), any ``<!DOCTYPE>`` is refused with a
typed error. Size is checked before parsing; depth and element count right after, before
any Python-level walk of the tree.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from lxml import etree

from cap import errors
from cap.errors import CapError

XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

_UTF8_BOM = b"\xef\xbb\xbf"
# Starts of the ASCII-incompatible encodings the XML spec lets a parser autodetect, and
# the codec that reads them (UTF-32 marks first: they begin with the UTF-16 ones).
_WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


@dataclass(frozen=True)
class XmlLimits:
    """Resource limits enforced on every document."""

    max_bytes: int
    max_depth: int
    max_elements: int


def _make_parser() -> etree.XMLParser:
    # One parser per call: lxml parsers are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def hardened_parser() -> etree.XMLParser:
    """A new parser with the settings above, for a library that parses on its own (signxml).

    It must only see bytes that ``parse_xml`` has already accepted: the size, DOCTYPE and
    depth checks happen there, not in the parser.
    """
    return _make_parser()


def _excerpt(data: bytes, at: int, width: int = 60) -> str:
    return data[at : at + width].decode("latin-1").replace("\n", " ")


def _wide_codec(data: bytes) -> str | None:
    """The codec of a UTF-16/32 document, or ``None`` for ASCII-compatible bytes."""
    for start, codec in _WIDE_ENCODINGS:
        if data.startswith(start):
            return codec
    return None


def _scannable_text(data: bytes) -> bytes:
    """Bytes in which markup such as ``<!DOCTYPE`` can be found with a plain search.

    UTF-16/32 documents are re-encoded to UTF-8 for the scan only (libxml2 loads an
    external DTD subset while parsing them, so the scan must happen before it does).
    Empty and non-XML input is refused here.
    """
    codec = _wide_codec(data)
    if codec is not None:
        try:
            data = data.decode(codec).encode("utf-8")
        except UnicodeError as exc:
            raise CapError(
                errors.XML_ENCODING, f"input is not valid {codec.upper()}: {exc}", "prolog"
            ) from exc
    stripped = data.lstrip(b" \t\r\n")
    if stripped.startswith(_UTF8_BOM) or stripped.startswith("\ufeff".encode()):
        stripped = stripped[len(_UTF8_BOM) :].lstrip(b" \t\r\n")
    if not stripped:
        raise CapError(errors.INPUT_EMPTY, f"input is empty ({len(data)} bytes of whitespace)")
    if not stripped.startswith(b"<"):
        raise CapError(
            errors.INPUT_NOT_XML,
            f"input does not start with '<': {stripped[:16]!r}",
            "byte 0",
        )
    return data


def _check_doctype(text: bytes) -> None:
    """Refuse any DOCTYPE before any parsing happens (so no DTD or entity is ever read)."""
    at = text.find(b"<!DOCTYPE")
    if at < 0:
        return
    entity_at = text.find(b"<!ENTITY", at)
    if entity_at >= 0:
        raise CapError(
            errors.XML_ENTITY_FORBIDDEN,
            f"entity declarations are refused: {_excerpt(text, entity_at)!r}",
            f"byte {entity_at}",
        )
    raise CapError(
        errors.XML_DTD_FORBIDDEN,
        f"document type declarations are refused: {_excerpt(text, at)!r}",
        f"byte {at}",
    )


def _syntax_error(exc: etree.XMLSyntaxError) -> CapError:
    location = f"line {exc.lineno}, column {exc.offset}" if exc.lineno else None
    kind = exc.code
    types = etree.ErrorTypes
    if kind in (types.ERR_INVALID_ENCODING, types.ERR_UNSUPPORTED_ENCODING, types.ERR_INVALID_CHAR):
        code = errors.XML_ENCODING
    elif kind in (types.ERR_UNDECLARED_ENTITY, types.WAR_UNDECLARED_ENTITY, types.ERR_ENTITY_LOOP):
        code = errors.XML_ENTITY_FORBIDDEN
    elif kind == types.ERR_RESOURCE_LIMIT or "Excessive depth" in str(exc):
        code = errors.XML_TOO_DEEP
    elif kind == types.ERR_DOCUMENT_EMPTY:
        code = errors.INPUT_EMPTY
    else:
        code = errors.XML_NOT_WELL_FORMED
    return CapError(code, f"XML parser refused the document: {exc.msg}", location)


def _deeper_than(max_depth: int) -> etree.XPath:
    """A compiled test for an element deeper than ``max_depth``, one per thread."""
    # lxml does not promise that one XPath object may be evaluated from several threads.
    return _compiled_depth_test(max_depth, threading.get_ident())


@functools.lru_cache(maxsize=256)  # bounded: thread ids come and go in pools
def _compiled_depth_test(max_depth: int, thread_id: int) -> etree.XPath:
    # XPath runs in C; an element deeper than allowed exists iff this path matches.
    return etree.XPath("boolean(/*" + "/*" * max_depth + ")")


def _check_tree(root: etree._Element, limits: XmlLimits, scanned: bytes) -> None:
    docinfo = root.getroottree().docinfo
    # Defence in depth: the scan before parsing should already have refused any DOCTYPE.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise CapError(
            errors.XML_DTD_FORBIDDEN,
            f"document type declarations are refused: {docinfo.doctype!r}",
            "prolog",
        )
    if _deeper_than(limits.max_depth)(root):
        raise CapError(
            errors.XML_TOO_DEEP,
            f"elements nest deeper than the limit of {limits.max_depth} levels",
            f"depth {limits.max_depth + 1}",
        )
    # Each element takes at least four bytes of markup of its own ("<a/>") and starts with
    # '<', so the elements are counted only when both cheap bounds allow too many.
    count = 0
    if len(scanned) // 4 > limits.max_elements:
        count = scanned.count(b"<")
    if count > limits.max_elements:
        count = int(root.xpath("count(//*)"))
    if count > limits.max_elements:
        raise CapError(
            errors.XML_TOO_MANY_ELEMENTS,
            f"document has {count} elements, more than the limit of {limits.max_elements}",
        )
    for namespace in XINCLUDE_NAMESPACES:
        # Entities are refused, so an XInclude namespace must appear literally in the bytes.
        if namespace.encode() not in scanned:
            continue
        found = root.xpath("//xi:include", namespaces={"xi": namespace})
        if found:
            href = found[0].get("href")
            raise CapError(
                errors.XML_XINCLUDE_FORBIDDEN,
                f"XInclude is refused: xi:include href={href!r}",
                root.getroottree().getpath(found[0]),
            )
    # No entity-reference walk: with every DOCTYPE refused no entity can be declared, and
    # a reference to an undeclared one is already a parse error (xml.entity_forbidden).


def parse_xml(data: bytes, limits: XmlLimits) -> etree._Element:
    """Parse ``data`` with the hardened parser and enforce ``limits``; raise ``CapError``."""
    if len(data) > limits.max_bytes:
        raise CapError(
            errors.XML_TOO_LARGE,
            f"input has {len(data)} bytes, more than the limit of {limits.max_bytes}",
        )
    scanned = _scannable_text(data)
    _check_doctype(scanned)
    try:
        root = etree.fromstring(data, _make_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from exc
    _check_tree(root, limits, scanned)
    return root
