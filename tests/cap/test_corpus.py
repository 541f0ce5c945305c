"""Every file of the shared CAP corpus behaves as its LABELS.tsv row says, under both policies.

The labels were written for the strict reading; the real-world policy (cap.policy) keeps
more alerts. Only one labelled file reads differently:
``google-cap-library/bushfire_invalid.edxlde`` keeps its alert with urgency 'Foobar' (read
as Unknown, ``cap.unknown_enum``) and still rejects the one without an identifier; its
label ("any", no count) holds under both.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from cap import errors
from cap.classify import classify_alert
from cap.document import parse_document
from cap.model import ParsedDocument
from cap.policy import ParsePolicy
from tests.cap.cap_fixtures import CORPUS

LABELS = CORPUS / "LABELS.tsv"


@dataclass(frozen=True)
class Label:
    path: str
    expect: str  # "ok", "reject" or "any"
    alerts: int | None  # None: "-", no count given
    hazards: frozenset[str] | None  # None: "-", no hazard given
    note: str


def _labels() -> list[Label]:
    if not LABELS.is_file():
        return []
    with LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Label(
            path=row["path"],
            expect=row["expect"],
            alerts=None if row["alerts"] == "-" else int(row["alerts"]),
            hazards=None if row["hazard"] == "-" else frozenset(row["hazard"].split("|")),
            note=row["note"],
        )
        for row in rows
    ]


LABEL_ROWS = _labels()


def _check_consistent(document: ParsedDocument) -> None:
    if document.ok:
        assert document.kind in ("alert", "container", "index")
        if document.kind == "index":
            assert document.alerts == ()
            assert document.index_links, "an index feed should list links"
        if document.kind == "alert":
            assert len(document.alerts) == 1
        indexes = [rejected.index for rejected in document.rejected]
        assert len(set(indexes)) == len(indexes)
        assert all(index >= 0 for index in indexes)
        assert all(rejected.error.code in errors.ERROR_CODES for rejected in document.rejected)
    else:
        assert document.error is not None
        assert document.error.code in errors.ERROR_CODES, document.error
        assert document.error.message
        assert document.alerts == () and document.rejected == ()
    assert all(warning.code in errors.WARNING_CODES for warning in document.warnings)


def _check_hazards(document: ParsedDocument, label: Label) -> None:
    if label.hazards is None:
        return
    for alert in document.alerts:
        hazard = classify_alert(alert).hazard
        assert hazard in label.hazards, f"{alert.identifier}: {hazard!r} not in {label.hazards}"


@pytest.mark.skipif(not LABEL_ROWS, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("policy", list(ParsePolicy))
@pytest.mark.parametrize("label", LABEL_ROWS, ids=[label.path for label in LABEL_ROWS])
def test_corpus_file_behaves_as_labelled(label: Label, policy: ParsePolicy) -> None:
    document = parse_document((CORPUS / label.path).read_bytes(), policy=policy)
    _check_consistent(document)
    if label.expect == "reject":
        assert not document.ok, f"{label.note}: expected a refusal"
        return
    if label.expect == "ok":
        assert document.ok, f"{label.note}: refused with {document.error}"
        assert document.alerts, f"{label.note}: accepted but no alert kept"
    if document.ok and label.alerts is not None:
        assert len(document.alerts) == label.alerts, document.rejected
    _check_hazards(document, label)


@pytest.mark.skipif(not LABEL_ROWS, reason=f"shared corpus not found at {CORPUS}")
def test_corpus_attack_file_is_refused_as_a_security_violation() -> None:
    document = parse_document((CORPUS / "google-cap-library" / "xee.atom").read_bytes())
    assert document.error is not None
    assert document.error.code in (
        errors.XML_DTD_FORBIDDEN,
        errors.XML_ENTITY_FORBIDDEN,
        errors.XML_XINCLUDE_FORBIDDEN,
    )


@pytest.mark.skipif(not LABEL_ROWS, reason=f"shared corpus not found at {CORPUS}")
def test_policies_differ_on_the_labelled_corpus_only_where_expected() -> None:
    differing = {}
    for label in LABEL_ROWS:
        data = (CORPUS / label.path).read_bytes()
        strict = parse_document(data, policy=ParsePolicy.STRICT)
        real_world = parse_document(data)
        if strict != real_world:
            differing[label.path] = (real_world, strict)
    assert set(differing) == {"google-cap-library/bushfire_invalid.edxlde"}
    real_world, strict = differing["google-cap-library/bushfire_invalid.edxlde"]
    assert (len(real_world.alerts), len(strict.alerts)) == (6, 5)
    assert [r.error.code for r in real_world.rejected] == [errors.CAP_MISSING_ELEMENT]
    assert [w.code for w in real_world.warnings] == [errors.WARN_UNKNOWN_ENUM]


@pytest.mark.skipif(not LABEL_ROWS, reason=f"shared corpus not found at {CORPUS}")
def test_every_labelled_file_exists() -> None:
    missing = [label.path for label in LABEL_ROWS if not (CORPUS / label.path).is_file()]
    assert missing == []
