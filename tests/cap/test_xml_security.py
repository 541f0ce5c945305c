"""Hostile inputs: every one is refused with a typed code, without network or file access."""

from __future__ import annotations

import os
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cap import errors
from cap.document import ParseLimits, parse_document
from cap.model import ParsedDocument
from tests.cap.cap_fixtures import fixture_bytes

ALERT_OPEN = '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'


def _refused(document: ParsedDocument, code: str) -> None:
    assert not document.ok, document
    assert document.error is not None
    assert document.error.code == code, document.error
    assert document.alerts == ()


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    """A TCP socket on a free port that records whether anyone connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _connection_attempted(server: socket.socket) -> bool:
    # A connect() completes into the backlog even if never accepted, so a pending
    # connection is visible the moment the parser returns.
    readable, _, _ = select.select([server], [], [], 0)
    return bool(readable)


def _external_documents(url: str) -> dict[str, bytes]:
    return {
        "external_dtd": (
            f'<?xml version="1.0"?><!DOCTYPE alert SYSTEM "{url}/x.dtd">'
            f"{ALERT_OPEN}<identifier>x</identifier></alert>"
        ).encode(),
        "external_entity": (
            f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "{url}/e">]>'
            f"{ALERT_OPEN}<identifier>&xxe;</identifier></alert>"
        ).encode(),
        "parameter_entity": (
            f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY % remote SYSTEM "{url}/p"> %remote;]>'
            f"{ALERT_OPEN}<identifier>x</identifier></alert>"
        ).encode(),
        "xinclude": (
            f'{ALERT_OPEN[:-1]} xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<identifier><xi:include href="{url}/i" parse="text"/></identifier></alert>'
        ).encode(),
        "stylesheet_pi": (
            f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{url}/s.xsl"?>'
            f"{ALERT_OPEN}<identifier>x</identifier></alert>"
        ).encode(),
    }


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("external_dtd", errors.XML_DTD_FORBIDDEN),
        ("external_entity", errors.XML_ENTITY_FORBIDDEN),
        ("parameter_entity", errors.XML_ENTITY_FORBIDDEN),
        ("xinclude", errors.XML_XINCLUDE_FORBIDDEN),
        ("stylesheet_pi", errors.CAP_MISSING_ELEMENT),
    ],
)
def test_external_references_never_connect(
    listening_socket: socket.socket, name: str, code: str
) -> None:
    port = listening_socket.getsockname()[1]
    data = _external_documents(f"http://127.0.0.1:{port}")[name]
    document = parse_document(data)
    _refused(document, code)
    assert not _connection_attempted(listening_socket), f"{name} made a connection"


def test_utf16_doctype_is_refused_after_parse_without_connecting(
    listening_socket: socket.socket,
) -> None:
    # UTF-16 hides "<!DOCTYPE" from the byte scan; the tree check must still refuse it.
    port = listening_socket.getsockname()[1]
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<!DOCTYPE alert SYSTEM "http://127.0.0.1:{port}/x.dtd">'
        f"{ALERT_OPEN}<identifier>x</identifier></alert>"
    )
    document = parse_document(text.encode("utf-16"))
    _refused(document, errors.XML_DTD_FORBIDDEN)
    assert not _connection_attempted(listening_socket)


def test_utf16_billion_laughs_is_refused_without_expansion() -> None:
    text = (
        fixture_bytes("billion_laughs.xml")
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    _refused(parse_document(text.encode("utf-16")), errors.XML_ENTITY_FORBIDDEN)


def test_file_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-3141")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY s SYSTEM "{secret_file.as_uri()}">]>'
        f"{ALERT_OPEN}<identifier>&s;</identifier></alert>"
    ).encode()
    document = parse_document(data)
    _refused(document, errors.XML_ENTITY_FORBIDDEN)
    assert "TOP-SECRET" not in repr(document)


def test_file_entity_never_opens_a_fifo(tmp_path: Path) -> None:
    # If the parser opened this FIFO for reading, the writer thread's open() would return
    # and it would flag the access before the parser could finish reading.
    fifo = tmp_path / "trap.fifo"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:
        fd = os.open(fifo, os.O_WRONLY)
        opened.set()
        os.write(fd, b"TRAPPED")
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    data = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY s SYSTEM "{fifo.as_uri()}">]>'
        f"{ALERT_OPEN}<identifier>&s;</identifier></alert>"
    ).encode()
    document = parse_document(data)
    assert not opened.is_set(), "the parser opened the FIFO"
    _refused(document, errors.XML_ENTITY_FORBIDDEN)
    # Release the writer: open the read end ourselves, drain, close.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    thread.join(timeout=10)
    os.close(reader)


def test_billion_laughs_is_refused() -> None:
    _refused(parse_document(fixture_bytes("billion_laughs.xml")), errors.XML_ENTITY_FORBIDDEN)


def test_quadratic_blowup_is_refused() -> None:
    entity = "A" * 40_000
    body = "&a;" * 40_000
    data = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "{entity}">]>'
        f"{ALERT_OPEN}<identifier>{body}</identifier></alert>"
    ).encode()
    _refused(parse_document(data), errors.XML_ENTITY_FORBIDDEN)


def test_doctype_without_entities_is_refused() -> None:
    document = parse_document(fixture_bytes("doctype_only.xml"))
    _refused(document, errors.XML_DTD_FORBIDDEN)
    assert document.error is not None and "DOCTYPE" in document.error.message


def test_undeclared_entity_reference_is_refused() -> None:
    data = f"{ALERT_OPEN}<identifier>&nbsp;</identifier></alert>".encode()
    _refused(parse_document(data), errors.XML_ENTITY_FORBIDDEN)


def test_xinclude_fixture_is_refused_with_its_href() -> None:
    document = parse_document(fixture_bytes("xinclude.xml"))
    _refused(document, errors.XML_XINCLUDE_FORBIDDEN)
    assert document.error is not None and "file:///etc/passwd" in document.error.message


def test_too_large_is_refused_before_parsing() -> None:
    limits = ParseLimits(max_bytes=1000)
    data = fixture_bytes("alert_1_2_full.xml")
    document = parse_document(data, limits)
    _refused(document, errors.XML_TOO_LARGE)
    assert document.error is not None and str(len(data)) in document.error.message


def test_default_size_limit_refuses_a_huge_input() -> None:
    data = b"<a>" + b" " * (ParseLimits().max_bytes) + b"</a>"
    _refused(parse_document(data), errors.XML_TOO_LARGE)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    depth = 80
    data = (ALERT_OPEN + "<x>" * depth + "</x>" * depth + "</alert>").encode()
    _refused(parse_document(data), errors.XML_TOO_DEEP)


def test_nesting_at_the_limit_is_accepted_by_the_depth_check() -> None:
    limits = ParseLimits(max_depth=10)
    # root + 9 nested = depth 10: passes the depth check, then fails as CAP (no identifier).
    data = (ALERT_OPEN + "<x>" * 9 + "</x>" * 9 + "</alert>").encode()
    document = parse_document(data, limits)
    assert document.error is not None
    assert document.error.code == errors.CAP_MISSING_ELEMENT


def test_extreme_nesting_is_refused_by_the_parser_itself() -> None:
    depth = 5000
    data = (ALERT_OPEN + "<x>" * depth + "</x>" * depth + "</alert>").encode()
    _refused(parse_document(data), errors.XML_TOO_DEEP)


def test_too_many_elements_is_refused() -> None:
    data = (ALERT_OPEN + "<x/>" * 60_000 + "</alert>").encode()
    document = parse_document(data)
    _refused(document, errors.XML_TOO_MANY_ELEMENTS)
    assert document.error is not None and "60001" in document.error.message


def test_too_many_alerts_in_a_container_is_refused() -> None:
    document = parse_document(fixture_bytes("edxl_de_1_0.xml"), ParseLimits(max_alerts=1))
    _refused(document, errors.CONTAINER_TOO_MANY_ALERTS)


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\xef\xbb\xbf"])
def test_empty_input_is_refused(data: bytes) -> None:
    _refused(parse_document(data), errors.INPUT_EMPTY)


def test_invalid_utf8_is_refused() -> None:
    data = f"{ALERT_OPEN}<identifier>caf\udce9</identifier></alert>".encode(
        "utf-8", "surrogateescape"
    )
    _refused(parse_document(data), errors.XML_ENCODING)


def test_declared_utf8_with_latin1_bytes_is_refused() -> None:
    data = b'<?xml version="1.0" encoding="utf-8"?><a>m\xe9t\xe9o</a>'
    _refused(parse_document(data), errors.XML_ENCODING)


def test_unsupported_declared_encoding_is_refused() -> None:
    data = b'<?xml version="1.0" encoding="x-no-such-charset"?><a/>'
    _refused(parse_document(data), errors.XML_ENCODING)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x00\x01\x02\x03\x04",
        b"PK\x03\x04 zip archive",
        b"just some text",
    ],
)
def test_binary_input_is_refused(data: bytes) -> None:
    _refused(parse_document(data), errors.INPUT_NOT_XML)


def test_not_well_formed_is_refused_with_a_location() -> None:
    document = parse_document(f"{ALERT_OPEN}<identifier>x</alert>".encode())
    _refused(document, errors.XML_NOT_WELL_FORMED)
    assert document.error is not None and document.error.location is not None
    assert document.error.location.startswith("line 1")


def test_utf16_with_bom_is_read() -> None:
    text = (
        fixture_bytes("alert_1_1_minimal.xml")
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    document = parse_document(text.encode("utf-16"))
    assert document.ok, document.error
    assert document.alerts[0].identifier == "cap11-minimal"
