"""The certificates that CAP alert signatures are trusted against, and the chain check.

A ``TrustStore`` holds X.509 certificates read from PEM files: CA certificates (an alert
signed by a certificate they issued is trusted) and, as pins, the signing certificates of
particular senders. The chain itself is built and checked by ``cryptography``'s verifier
(``cryptography.x509.verification``); nothing here walks issuers by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

# Files of a trust directory that are read; anything else there is ignored.
PEM_SUFFIXES = (".pem", ".crt")


class TrustStoreError(ValueError):
    """A trust store file or directory that cannot be used; the message names it."""


def fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint of a certificate's DER bytes, as lower-case hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def _require_digital_signature(
    _policy: object, _certificate: x509.Certificate, key_usage: x509.KeyUsage | None
) -> None:
    # The same rule as signxml's own chain verifier: a signing certificate must say that
    # its key may make digital signatures.
    if key_usage is None or not key_usage.digital_signature:
        raise ValueError("certificate KeyUsage does not allow digitalSignature")


def _end_entity_policy() -> ExtensionPolicy:
    return ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, Criticality.AGNOSTIC, _require_digital_signature
    )


def _load_pem(data: bytes, source: str) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise TrustStoreError(f"{source}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TrustStoreError(f"{source}: not a readable PEM certificate file: {exc}") from exc


@dataclass(frozen=True)
class TrustStore:
    """Trusted certificates (CA certificates and pinned signing certificates)."""

    certificates: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_pem(cls, data: bytes, source: str = "<PEM bytes>") -> TrustStore:
        """A store of every certificate in ``data`` (one or more PEM blocks)."""
        return cls(tuple(_load_pem(data, source)))

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> TrustStore:
        """A store of the certificates in PEM files and in directories of them.

        A directory contributes each ``*.pem`` / ``*.crt`` file directly inside it, in name
        order; a directory with none is an error, as is an unreadable file or one without a
        certificate (the message names the file).
        """
        certificates: list[x509.Certificate] = []
        for path in map(Path, paths):
            if path.is_dir():
                files = sorted(
                    p for p in path.iterdir() if p.suffix.lower() in PEM_SUFFIXES and p.is_file()
                )
                if not files:
                    raise TrustStoreError(f"{path}: no *.pem or *.crt file in this directory")
            else:
                files = [path]
            for file in files:
                try:
                    data = file.read_bytes()
                except OSError as exc:
                    raise TrustStoreError(f"{file}: cannot read: {exc.strerror or exc}") from exc
                certificates.extend(_load_pem(data, str(file)))
        return cls(tuple(certificates))

    def __len__(self) -> int:
        return len(self.certificates)

    def untrusted_reason(
        self,
        signer: x509.Certificate,
        intermediates: Iterable[x509.Certificate],
        at: datetime | None = None,
    ) -> str | None:
        """Why ``signer`` is not trusted at ``at`` (default now), or ``None`` if it is.

        Trusted means: ``signer`` itself is in the store, or a chain from it through
        ``intermediates`` ends at a certificate in the store, every certificate valid at
        ``at``. The path is built and checked by ``cryptography``: certificates in the
        chain must be proper CAs (Web PKI CA profile), the signer's KeyUsage must allow
        digital signatures, and weak signature algorithms (SHA-1, RSA under 2048 bits) on
        the chain are refused.
        """
        if not self.certificates:
            return "the trust store is empty"
        when = at or datetime.now(UTC)
        verifier = (
            PolicyBuilder()
            .store(Store(list(self.certificates)))
            .time(when)
            .extension_policies(
                ee_policy=_end_entity_policy(), ca_policy=ExtensionPolicy.webpki_defaults_ca()
            )
            .build_client_verifier()
        )
        try:
            verifier.verify(signer, list(intermediates))
        except VerificationError as exc:
            return f"certificate chain not trusted at {when.isoformat()}: {exc}"
        return None
