"""Containers: ATOM, RSS, EDXL-DE 1.0/2.0, <alerts> lists and index feeds."""

from __future__ import annotations

import pytest

from cap import errors
from cap.document import parse_document
from tests.cap.cap_fixtures import fixture_bytes


@pytest.mark.parametrize(
    ("name", "container_format", "identifiers"),
    [
        # The second entry's urgency 'Soon' is no CAP value: read as Unknown (real-world).
        ("atom_with_cap.xml", "atom", ["atom-1", "bad-1", "atom-3"]),
        ("atom_entry_root.xml", "atom", ["entry-root-1"]),
        ("rss_with_cap.xml", "rss", ["rss-1", "rss-2"]),
        ("edxl_de_1_0.xml", "edxl-de-1.0", ["de10-1", "de10-2"]),
        ("edxl_de_2_0.xml", "edxl-de-2.0", ["de20-1"]),
        ("alerts_list_mixed.xml", "alerts-list", ["list-1", "list-4"]),
    ],
)
def test_container_yields_its_alerts_in_order(
    name: str, container_format: str, identifiers: list[str]
) -> None:
    document = parse_document(fixture_bytes(name))
    assert document.ok, document.error
    assert document.kind == "container"
    assert document.container_format == container_format
    assert [alert.identifier for alert in document.alerts] == identifiers


def test_invalid_atom_entry_is_rejected_with_its_index_and_siblings_kept() -> None:
    document = parse_document(fixture_bytes("atom_with_cap.xml"), policy="strict")
    assert [a.identifier for a in document.alerts] == ["atom-1", "atom-3"]
    assert [r.index for r in document.rejected] == [1]
    error = document.rejected[0].error
    assert error.code == errors.CAP_INVALID_ENUM
    assert "'Soon'" in error.message
    assert error.location is not None and error.location.endswith("/urgency")


def test_tolerated_defect_in_one_entry_is_warned_on_that_alert_only() -> None:
    document = parse_document(fixture_bytes("atom_with_cap.xml"))
    assert document.rejected == ()
    first, bad, third = document.alerts
    assert bad.infos[0].urgency == "Unknown"
    (warning,) = bad.warnings
    assert warning.code == errors.WARN_UNKNOWN_ENUM
    assert "'Soon'" in warning.message and "read as 'Unknown'" in warning.message
    assert warning.location is not None and warning.location.endswith("/urgency")
    assert first.warnings == () and third.warnings == ()
    assert document.warnings == (warning,)


def test_alerts_list_reports_each_bad_item() -> None:
    document = parse_document(fixture_bytes("alerts_list_mixed.xml"))
    assert [(r.index, r.error.code) for r in document.rejected] == [
        (1, errors.CAP_MISSING_ELEMENT),
        (2, errors.CAP_UNKNOWN_NAMESPACE),
    ]
    assert "urn:example:not-cap" in document.rejected[1].error.message


@pytest.mark.parametrize(
    ("name", "container_format", "first_link"),
    [
        ("atom_index.xml", "atom", "https://alerts.example.org/cap/1.xml"),
        ("rss_index.xml", "rss", "https://example.org/cap/amber-1.cap"),
    ],
)
def test_index_feed_is_recognised_not_passed_off_as_alerts(
    name: str, container_format: str, first_link: str
) -> None:
    document = parse_document(fixture_bytes(name))
    assert document.ok
    assert document.kind == "index"
    assert document.container_format == container_format
    assert document.alerts == ()
    assert len(document.index_links) == 2
    assert document.index_links[0] == first_link


def test_envelope_without_cap_is_refused() -> None:
    document = parse_document(fixture_bytes("edxl_de_no_cap.xml"))
    assert document.error is not None
    assert document.error.code == errors.CONTAINER_NO_ALERT
    assert "edxl-de-1.0" in document.error.message


def test_empty_alerts_list_is_refused() -> None:
    data = b'<alerts xmlns="urn:oasis:names:tc:emergency:cap:1.2"></alerts>'
    document = parse_document(data)
    assert document.error is not None
    assert document.error.code == errors.CONTAINER_NO_ALERT


def test_alert_beside_the_entries_of_a_feed_is_found() -> None:
    alert = fixture_bytes("alert_1_1_minimal.xml").split(b"?>", 1)[1].decode()
    data = f'<feed xmlns="http://www.w3.org/2005/Atom"><id>f</id>{alert}</feed>'.encode()
    document = parse_document(data)
    assert document.kind == "container"
    assert [a.identifier for a in document.alerts] == ["cap11-minimal"]


def test_bare_invalid_alert_is_a_refusal_not_a_rejected_item() -> None:
    data = fixture_bytes("alert_1_1_minimal.xml").replace(b"<scope>Public</scope>", b"")
    document = parse_document(data)
    assert not document.ok
    assert document.rejected == ()
    assert document.error is not None and document.error.code == errors.CAP_MISSING_ELEMENT


@pytest.mark.parametrize(
    "data",
    [
        b'<rss version="2.0"><channel><link>https://example.org/</link><item/></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content/></entry></feed>',
    ],
)
def test_feed_with_neither_alerts_nor_links_is_refused(data: bytes) -> None:
    document = parse_document(data)
    assert document.error is not None
    assert document.error.code == errors.CONTAINER_NO_ALERT
    assert "no links" in document.error.message
