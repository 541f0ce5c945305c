"""Verification of the XML signature of a CAP alert (XML-DSig, CAP 1.2 section 3.3.2.1).

``verify_alert_signature(xml_bytes, trust_store)`` answers with a ``SignatureCheck``:

- ``absent``: no ``ds:Signature`` anywhere in the document;
- ``valid``: one enveloped signature over the whole ``<alert>``, cryptographically correct,
  by a certificate that the trust store trusts at the time of the check;
- ``untrusted``: the signature is correct, but its key is not trusted (unknown issuer,
  expired certificate, a bare key without a certificate);
- ``invalid``: anything else (tampered content, wrong key, a refused shape or algorithm).

Only one shape is accepted: exactly one ``Signature``, a child of the ``<alert>`` root,
with exactly one ``Reference`` whose ``URI=""`` covers the whole alert through the
enveloped-signature transform. That rules out signature wrapping (a signature over some
other element while the reader reads a forged one), ``#Id`` references, external URIs
(never fetched) and every transform but canonicalisation.

**Use the signed data.** A ``valid`` check carries ``signed_data``: the canonical bytes
that the signature covers (the alert without its ``Signature``), as signxml returns them.
A caller that acts on a valid alert must parse *these* bytes, not the input: XML that
canonicalises to the same bytes may still read differently (a comment inside a text
node, for one), and only ``signed_data`` is what the signer signed.

The XML-DSig work is signxml's (canonicalisation, digests, signature values) and the
certificate chain is ``cryptography``'s (``cap.trust_store``); the input is parsed with
the project's hardened parser (``cap.xml_security``), which signxml also uses.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import cryptography.exceptions
from cryptography import x509
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidDigest, SignXMLException
from signxml.processor import get_schema
from signxml.verifier import SignatureConfiguration, XMLVerifier

from cap.document import DEFAULT_LIMITS, ParseLimits
from cap.elements import CAP_NAMESPACES, cap_namespace_of
from cap.errors import CapError
from cap.trust_store import TrustStore, fingerprint
from cap.xml_security import XmlLimits, hardened_parser, parse_xml

DS = "http://www.w3.org/2000/09/xmldsig#"
_SIGNATURE = f"{{{DS}}}Signature"
_ALERT_TAGS = tuple(f"{{{namespace}}}alert" for namespace in CAP_NAMESPACES)
_DSIG_SCHEMA = "xmldsig1-schema.xsd"  # signxml's copy, the one its verifier uses
_ENVELOPED = SignatureConstructionMethod.enveloped.value
_EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
_ALLOWED_TRANSFORMS = frozenset({_ENVELOPED} | {method.value for method in CanonicalizationMethod})

# Bounds on what a signature may carry before any cryptography runs. A real KeyInfo with
# one certificate is 2-3 KB; these leave room for a chain of a few certificates.
MAX_SIGNATURE_BYTES = 64 * 1024
MAX_KEYINFO_BYTES = 16 * 1024
MAX_CERTIFICATES = 4

Status = Literal["absent", "valid", "invalid", "untrusted"]

_VERIFY_ERRORS = (
    SignXMLException,
    cryptography.exceptions.InvalidSignature,
    etree.LxmlError,
    ValueError,
    KeyError,
)


@dataclass(frozen=True)
class Signer:
    """The certificate a signature was made with."""

    subject: str  # RFC 4514, e.g. "CN=IPAWSOPEN_200096,OU=...,C=US"
    sha256_fingerprint: str  # lower-case hex of the certificate's DER

    @classmethod
    def of(cls, certificate: x509.Certificate) -> Signer:
        return cls(certificate.subject.rfc4514_string(), fingerprint(certificate))


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of ``verify_alert_signature``."""

    status: Status
    reason: str | None = None  # why, for invalid and untrusted
    signer: Signer | None = None  # for valid, and for untrusted/invalid once known
    # For valid only: the canonical bytes the signature covers. Parse these, not the input.
    signed_data: bytes | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


class _ShapeError(Exception):
    """A document whose signature is refused before any cryptography runs."""


class _Verifier(XMLVerifier):
    """signxml's verifier, with inclusive canonicalisation done on a detached copy.

    lxml (libxml2) renders a subtree inclusively with a spurious ``xmlns=""`` on its
    grandchildren when their default namespace is declared above the subtree, as in the
    usual ``<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`` (seen with lxml 5.3
    and 6.1; signxml issue #275). ``SignedInfo`` is such a subtree, so every correct
    signature of that common form failed. lxml copies all in-scope namespace
    declarations onto a serialised subtree, so canonicalising a re-parsed copy gives
    the canonical form the specification defines; signxml already does the same for the
    data it digests. Exclusive canonicalisation is not affected and is left alone.
    """

    def _c14n(
        self, nodes: Any, algorithm: CanonicalizationMethod, inclusive_ns_prefixes: Any = None
    ) -> bytes:
        if not algorithm.value.startswith(_EXCLUSIVE_C14N):
            nodes = [
                etree.fromstring(etree.tostring(node), hardened_parser())
                if isinstance(node, etree._Element) and node.getparent() is not None
                else node
                for node in (nodes if isinstance(nodes, list) else [nodes])
            ]
        canonical: bytes = super()._c14n(nodes, algorithm, inclusive_ns_prefixes)
        return canonical


def _child(parent: etree._Element, name: str, *, required: bool = True) -> etree._Element | None:
    found = parent.findall(f"{{{DS}}}{name}")
    if len(found) > 1:
        raise _ShapeError(f"{len(found)} {name} elements in {etree.QName(parent).localname}")
    if not found:
        if required:
            raise _ShapeError(f"no {name} in {etree.QName(parent).localname}")
        return None
    return found[0]


def _check_reference(signed_info: etree._Element) -> None:
    references = signed_info.findall(f"{{{DS}}}Reference")
    if len(references) != 1:
        raise _ShapeError(f"{len(references)} Reference elements; exactly one is accepted")
    uri = references[0].get("URI")
    if uri is None:
        raise _ShapeError('the Reference has no URI; only URI="" (the whole alert) is accepted')
    if uri.startswith("#"):
        raise _ShapeError(
            f'the Reference points at an element ({uri!r}); only URI="" '
            "(the whole alert) is accepted"
        )
    if uri:
        raise _ShapeError(f"the Reference has an external URI ({uri!r}); it is never fetched")
    algorithms = [
        transform.get("Algorithm") for transform in references[0].iter(f"{{{DS}}}Transform")
    ]
    refused = [a for a in algorithms if a not in _ALLOWED_TRANSFORMS]
    if refused:
        raise _ShapeError(f"transform not accepted: {refused[0]!r}")
    if algorithms.count(_ENVELOPED) != 1:
        raise _ShapeError("the Reference lacks the enveloped-signature transform")


def _certificates(key_info: etree._Element) -> list[x509.Certificate]:
    size = len(etree.tostring(key_info))
    if size > MAX_KEYINFO_BYTES:
        raise _ShapeError(f"KeyInfo is {size} bytes, more than the limit of {MAX_KEYINFO_BYTES}")
    elements = key_info.findall(f"{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if len(elements) > MAX_CERTIFICATES:
        raise _ShapeError(
            f"KeyInfo carries {len(elements)} certificates, more than {MAX_CERTIFICATES}"
        )
    certificates = []
    for index, element in enumerate(elements):
        try:
            der = base64.b64decode("".join((element.text or "").split()), validate=True)
            certificates.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError) as exc:
            raise _ShapeError(f"X509Certificate {index} is not a certificate: {exc}") from exc
    if not certificates and key_info.find(f"{{{DS}}}KeyValue") is None:
        raise _ShapeError("KeyInfo has neither an X509Certificate nor a KeyValue")
    return certificates


def _check_shape(root: etree._Element, signatures: list[etree._Element]) -> etree._Element:
    """The one accepted signature element, or ``_ShapeError``; no cryptography yet."""
    if cap_namespace_of(root) is None:
        raise _ShapeError(f"the document root is {root.tag!r}, not a CAP <alert>")
    if len(signatures) != 1:
        raise _ShapeError(f"{len(signatures)} Signature elements; exactly one is accepted")
    (signature,) = signatures
    if signature.getparent() is not root:
        raise _ShapeError("the Signature is not a child of the <alert> root (enveloped only)")
    alerts = sum(1 for _ in root.iter(*_ALERT_TAGS))
    if alerts != 1:
        raise _ShapeError(f"{alerts - 1} more <alert> element(s) inside the alert (wrapping)")
    size = len(etree.tostring(signature))
    if size > MAX_SIGNATURE_BYTES:
        raise _ShapeError(f"Signature is {size} bytes, over the limit of {MAX_SIGNATURE_BYTES}")
    signed_info = _child(signature, "SignedInfo")
    _child(signature, "SignatureValue")
    _check_reference(signed_info)
    _check_schema(signature)
    return signature


def _check_schema(signature: etree._Element) -> None:
    """The parts that verification reads must follow the XML-DSig schema.

    Those are SignedInfo, SignatureValue and KeyInfo. Other children (``Object``) are not
    covered by an enveloped signature over the alert and are never read; NAADS puts its
    ``Object`` in no namespace, which the schema refuses, so they are left out of the copy
    that is checked (their size is bounded by ``MAX_SIGNATURE_BYTES``). So is the
    Signature's own ``Id``: the schema types it xs:ID, NAADS and ECCC write
    ``Id="NAADS Signature"`` (with a space), and no reference by Id is accepted here.
    """
    copy = etree.fromstring(etree.tostring(signature), hardened_parser())
    copy.attrib.pop("Id", None)
    kept = {f"{{{DS}}}{name}" for name in ("SignedInfo", "SignatureValue", "KeyInfo")}
    for child in list(copy):
        if child.tag not in kept:
            copy.remove(child)
    try:
        get_schema(_DSIG_SCHEMA).assertValid(copy)
    except etree.DocumentInvalid as exc:
        raise _ShapeError(f"the Signature does not follow the XML-DSig schema: {exc}") from exc


def _configuration(allow_sha1: bool) -> SignatureConfiguration:
    return SignatureConfiguration(
        location="./",  # a child of the root, nowhere else
        expect_references=1,
        signature_methods=frozenset(
            method
            for method in SignatureMethod
            if not method.name.startswith("HMAC") and (allow_sha1 or "SHA1" not in method.name)
        ),
        digest_algorithms=frozenset(
            digest for digest in DigestAlgorithm if allow_sha1 or digest is not DigestAlgorithm.SHA1
        ),
    )


def _verify(
    root: etree._Element, config: SignatureConfiguration, certificate: x509.Certificate | None
) -> bytes:
    """signxml's verification; the signed bytes, or one of ``_VERIFY_ERRORS``."""
    if certificate is None:
        config = replace(config, require_x509=False)
    else:
        # Only the mathematics here: the validity period is judged with the chain, so an
        # expired certificate reads as untrusted rather than as a broken signature.
        config = replace(config, verification_time=certificate.not_valid_before_utc)
    result: Any = _Verifier().verify(
        root,
        x509_cert=certificate,
        parser=hardened_parser(),
        validate_schema=False,  # checked in _check_shape
        expect_config=config,
    )
    signed = result.signed_xml
    if signed is None or cap_namespace_of(signed) is None or signed.find(_SIGNATURE) is not None:
        raise ValueError("the signed data is not a CAP alert without its signature")
    signed_data: bytes = result.signed_data
    return signed_data


def _describe(exc: Exception) -> str:
    message = str(exc).strip().rstrip(":")
    if isinstance(exc, cryptography.exceptions.InvalidSignature) and (
        not message or message == "Signature verification failed"
    ):
        message = "the SignatureValue does not match SignedInfo under this key"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def verify_alert_signature(
    xml_bytes: bytes,
    trust_store: TrustStore,
    *,
    at: datetime | None = None,
    allow_sha1: bool = False,
    limits: ParseLimits | None = None,
) -> SignatureCheck:
    """Check the enveloped XML signature of one CAP alert; never raises for bad input.

    ``at``: the time certificates must be valid at (timezone-aware); default now. Passing
    an alert's own ``<sent>`` is only for archives and replays: that time is the sender's
    word, and a stolen key of an expired certificate could backdate it.
    ``allow_sha1``: accept SHA-1 digests and signature methods (refused by default, as
    signxml does; older real feeds use them).
    ``limits``: the parse limits (size, depth, element count); default ``DEFAULT_LIMITS``.
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    limits = limits or DEFAULT_LIMITS
    try:
        root = parse_xml(
            xml_bytes, XmlLimits(limits.max_bytes, limits.max_depth, limits.max_elements)
        )
    except CapError as error:
        return SignatureCheck("invalid", f"document refused: {error.code}: {error.message}")
    signatures = list(root.iter(_SIGNATURE))
    if not signatures:
        return SignatureCheck("absent")
    try:
        signature = _check_shape(root, signatures)
        certificates = _certificates(_child(signature, "KeyInfo"))
    except _ShapeError as refusal:
        return SignatureCheck("invalid", str(refusal))
    config = _configuration(allow_sha1)
    if not certificates:
        try:
            _verify(root, config, None)
        except _VERIFY_ERRORS as exc:
            return SignatureCheck("invalid", _describe(exc))
        return SignatureCheck(
            "untrusted", "signed with a bare public key (KeyValue), not a certificate"
        )
    return _check_certified(root, certificates, trust_store, at, config)


def _check_certified(
    root: etree._Element,
    certificates: list[x509.Certificate],
    trust_store: TrustStore,
    at: datetime | None,
    config: SignatureConfiguration,
) -> SignatureCheck:
    # X509Data implies no order: the signing certificate is the one whose key verifies the
    # SignatureValue; the others may serve as intermediates of its chain.
    first_failure: str | None = None
    for certificate in certificates:
        signer = Signer.of(certificate)
        try:
            signed_data = _verify(root, config, certificate)
        except InvalidDigest as exc:  # this key signed, but the content changed since
            return SignatureCheck("invalid", _describe(exc), signer)
        except _VERIFY_ERRORS as exc:
            first_failure = first_failure or _describe(exc)
            continue
        others = [c for c in certificates if c is not certificate]
        untrusted = trust_store.untrusted_reason(certificate, others, at)
        if untrusted is not None:
            return SignatureCheck("untrusted", untrusted, signer)
        return SignatureCheck("valid", None, signer, signed_data)
    return SignatureCheck("invalid", first_failure)
