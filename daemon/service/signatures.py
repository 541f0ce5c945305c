"""Who sent an alert: the signature policy per sender, applied to one input message.

``off`` checks nothing; ``verify-if-present`` refuses a signature that is invalid or by
a key the trust store does not vouch for, and accepts an unsigned alert;``require``
also refuses an unsigned alert. Senders named in ``signature_require_senders`` get
``require`` whatever the default. A refused message goes to the DLQ with a
``signature-*`` code; an accepted signed alert is read from the bytes the signature
covers (never from the raw input, which may carry unsigned extras such as comments).

Only a bare ``<alert>`` can be checked: in a container (ATOM, RSS, EDXL-DE) each alert
is one element among others, so its signature is reported ``absent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cap.signature import SignatureCheck, verify_alert_signature
from cap.trust_store import TrustStore
from daemon.runtime.settings import Settings

POLICY_OFF = "off"
POLICY_IF_PRESENT = "verify-if-present"
POLICY_REQUIRE = "require"

ERROR_MISSING = "signature-missing"
ERROR_INVALID = "signature-invalid"
ERROR_UNTRUSTED = "signature-untrusted"
NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class SignatureVerdict:
    """What the service does with a message's signature: use it, or dead-letter it."""

    status: str  # not-checked, absent, valid, invalid, untrusted
    refusal: str | None = None  # DLQ error code when refused
    message: str = ""
    signed_data: bytes | None = None
    check: SignatureCheck | None = None

    def record_field(self) -> dict[str, Any]:
        """The record's ``signature`` object."""
        signer = self.check.signer if self.check is not None and self.status == "valid" else None
        return {
            "status": self.status,
            "signer": signer.subject if signer else None,
            "fingerprint": signer.sha256_fingerprint if signer else None,
        }


UNCHECKED = SignatureVerdict(NOT_CHECKED)


class SignaturePolicy:
    """The configured policy, and the trust store it checks against."""

    def __init__(self, settings: Settings, trust_store: TrustStore | None = None) -> None:
        self.default = settings.signature_policy
        self.require = frozenset(
            sender.strip()
            for sender in settings.signature_require_senders.split(",")
            if sender.strip()
        )
        if trust_store is None and settings.trust_store is not None:
            trust_store = TrustStore.from_paths([settings.trust_store])
        self.trust_store = trust_store if trust_store is not None else TrustStore()
        self.limits = settings.parse_limits

    def for_sender(self, sender: str) -> str:
        """``off``, ``verify-if-present`` or ``require`` for alerts of ``sender``."""
        return POLICY_REQUIRE if sender in self.require else self.default

    @property
    def checks_anything(self) -> bool:
        """False when every sender is ``off``: the hot path then skips this module."""
        return self.default != POLICY_OFF or bool(self.require)

    def judge(self, value: bytes, kind: str, senders: list[str]) -> SignatureVerdict:
        """The verdict for one message of document ``kind`` whose alerts are by ``senders``."""
        policies = {self.for_sender(sender) for sender in senders}
        if policies <= {POLICY_OFF}:
            return UNCHECKED
        strictest = POLICY_REQUIRE if POLICY_REQUIRE in policies else POLICY_IF_PRESENT
        if kind != "alert":
            if strictest == POLICY_REQUIRE:
                return SignatureVerdict(
                    "absent", ERROR_MISSING, f"a signed alert is required; {kind} input is not one"
                )
            return SignatureVerdict("absent")
        check = verify_alert_signature(value, self.trust_store, limits=self.limits)
        if check.status == "valid":
            return SignatureVerdict("valid", signed_data=check.signed_data, check=check)
        if check.status == "absent":
            if strictest == POLICY_REQUIRE:
                return SignatureVerdict("absent", ERROR_MISSING, "the alert is not signed")
            return SignatureVerdict("absent", check=check)
        code = ERROR_INVALID if check.status == "invalid" else ERROR_UNTRUSTED
        signer = f" (signer {check.signer.subject})" if check.signer else ""
        return SignatureVerdict(check.status, code, f"{check.reason}{signer}", check=check)
