"""Throwaway PKI for the signature tests: a CA, certificates it issues, signed alerts.

Everything is made in memory with ``cryptography`` and signed with signxml's own signer,
so the tests never depend on a real sender's (long expired) certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

NOW = datetime.now(UTC)
CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"

ALERT = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP12}">
  <identifier>SIG-TEST-0001</identifier>
  <sender>alerts@example.org</sender>
  <sent>2026-11-23T01:02:03+00:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>Flash Flood Warning</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <headline>Flash flood warning for the river valley</headline>
    <area><areaDesc>River valley</areaDesc></area>
  </info>
</alert>
""".encode()


@dataclass(frozen=True)
class Issued:
    """A key pair and its certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cinealert tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, days: tuple[int, int]
) -> x509.CertificateBuilder:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def make_ca(
    name: str = "Test Alerting CA",
    parent: Issued | None = None,
    days: tuple[int, int] = (-365, 365),
) -> Issued:
    """A CA certificate: self-signed, or issued by ``parent`` (an intermediate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = parent.certificate.subject if parent else _name(name)
    builder = (
        _builder(name, issuer, key, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    signer = parent.key if parent else key
    if parent:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()),
            critical=False,
        )
    return Issued(key, builder.sign(signer, hashes.SHA256()))


def make_signer(
    ca: Issued | None,
    name: str = "alerts.example.org",
    days: tuple[int, int] = (-1, 365),
    digital_signature: bool = True,
) -> Issued:
    """A signing certificate issued by ``ca``, or self-signed when ``ca`` is None."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = ca.certificate.subject if ca else _name(name)
    builder = (
        _builder(name, issuer, key, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=not digital_signature,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    return Issued(key, builder.sign(ca.key if ca else key, hashes.SHA256()))


def sign_alert(
    signer: Issued,
    *,
    data: bytes = ALERT,
    chain: tuple[Issued, ...] = (),
    c14n: CanonicalizationMethod = CanonicalizationMethod.CANONICAL_XML_1_1,
    reference_uri: str | None = None,
    default_namespace: bool = False,
) -> bytes:
    """``data`` with an enveloped signature by ``signer`` (its certificate, then ``chain``)."""
    xml_signer = XMLSigner(signature_algorithm="ecdsa-sha256", c14n_algorithm=c14n)
    if default_namespace:  # <Signature xmlns="...xmldsig#">, as NAADS and ECCC write it
        xml_signer.namespaces = {None: "http://www.w3.org/2000/09/xmldsig#"}  # type: ignore[dict-item]
    root = etree.fromstring(data)
    signed = xml_signer.sign(
        root,
        key=signer.key,
        cert=[signer.certificate, *(issued.certificate for issued in chain)],
        reference_uri=reference_uri,
    )
    result: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return result
