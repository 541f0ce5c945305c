"""Trust per feed: who may send through it, whether its alerts must be signed, and
alerts dated too far in the future. A refused alert goes to the dead-letter topic with
a reason, never to the input topic.

Signatures are checked with the project's verifier (``cap.signature``, signxml) against
the feed's trust store; the refusal codes are the daemon's (``signature-missing``,
``signature-invalid``, ``signature-untrusted``), so one dashboard reads both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cap.document import ParseLimits
from cap.signature import verify_alert_signature
from cap.trust_store import TrustStore
from daemon.feeds.documents import FeedAlert
from daemon.feeds.feed_list import FeedSpec

REASON_SENDER = "sender-not-allowed"
REASON_FUTURE = "sent-in-future"
REASON_MISSING = "signature-missing"
REASON_INVALID = "signature-invalid"
REASON_UNTRUSTED = "signature-untrusted"


class FeedTrust:
    """The trust decisions of one feed (its trust store is loaded once, at start)."""

    def __init__(self, feed: FeedSpec, limits: ParseLimits) -> None:
        self.feed = feed
        self.limits = limits
        self.trust_store = (
            TrustStore.from_paths([feed.trust_store]) if feed.trust_store is not None else None
        )

    def refusal(self, alert: FeedAlert, now: datetime) -> tuple[str, str] | None:
        """``(reason, message)`` when ``alert`` must not be produced, else None."""
        feed = self.feed
        sender = alert.alert.sender
        if feed.allowed_senders and sender not in feed.allowed_senders:
            return REASON_SENDER, f"sender {sender!r} is not allowed for feed {feed.name!r}"
        ahead = alert.alert.sent - now
        if ahead > timedelta(seconds=feed.max_future_s):
            return REASON_FUTURE, (
                f"sent {alert.alert.sent.isoformat()} is {ahead.total_seconds():.0f} s in the "
                f"future (limit {feed.max_future_s:g} s)"
            )
        if feed.signature_policy == "off" or self.trust_store is None:
            return None
        check = verify_alert_signature(alert.data, self.trust_store, limits=self.limits)
        if check.status == "valid":
            return None
        if check.status == "absent":
            if feed.signature_policy == "require":
                return REASON_MISSING, "the feed requires signed alerts; this one is not signed"
            return None
        reason = REASON_INVALID if check.status == "invalid" else REASON_UNTRUSTED
        return reason, check.reason or check.status
