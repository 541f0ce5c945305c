"""What happens to one valid alert, decided from the alert alone (no I/O).

The daemon applies the decision: publish a terminal record now (skipped, expired,
cancelled), or look the hazard up in the cache and queue a render. Separately, an
Update or a Cancel withdraws the queued work of the alerts it references.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cap.model import Alert

AlertKey = tuple[str, str, datetime]

# Reasons written into records; short and machine-readable.
REASON_TEST = "test-or-exercise"
REASON_SYSTEM = "status-system"
REASON_DRAFT = "status-draft"
REASON_ACK = "msgtype-ack"
REASON_ERROR = "msgtype-error"
REASON_NO_HAZARD = "no-hazard"
REASON_CANCEL_MESSAGE = "cancel-message"
REASON_CANCELLED = "cancelled"
REASON_SUPERSEDED = "superseded"
REASON_EXPIRED = "all-infos-expired"
REASON_SCOPE = "scope-restricted"

RENDER = "render"


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """``outcome`` is ``render`` or a terminal status; ``withdraws`` lists queued alerts to drop.

    Withdrawn alerts get a ``cancelled`` record with ``withdraw_reason``.
    """

    outcome: str
    reason: str | None = None
    withdraws: tuple[AlertKey, ...] = ()
    withdraw_reason: str | None = None


def all_infos_expired(alert: Alert, now: datetime) -> bool:
    """True when the alert has infos and every one has an ``expires`` in the past."""
    if not alert.infos:
        return False
    return all(info.expires is not None and info.expires <= now for info in alert.infos)


def decide(
    alert: Alert,
    hazard: str,
    now: datetime,
    render_test_alerts: bool,
    render_restricted: bool = False,
) -> AlertDecision:
    """Decide the fate of ``alert`` (already known not to be a duplicate).

    A ``Restricted`` or ``Private`` alert is for known recipients only (CAP 1.2): unless
    the operator opted in, it is skipped before anything else, withdrawing nothing.
    """
    if alert.scope != "Public" and not render_restricted:
        return AlertDecision("skipped", REASON_SCOPE)
    referenced = tuple(ref_key for ref_key in _reference_keys(alert))
    withdraws: tuple[AlertKey, ...] = ()
    withdraw_reason: str | None = None
    if alert.msg_type == "Cancel":
        withdraws, withdraw_reason = referenced, REASON_CANCELLED
    elif alert.msg_type == "Update":
        withdraws, withdraw_reason = referenced, REASON_SUPERSEDED

    def finish(outcome: str, reason: str | None) -> AlertDecision:
        return AlertDecision(outcome, reason, withdraws, withdraw_reason)

    if alert.msg_type == "Ack":
        return AlertDecision("skipped", REASON_ACK)
    if alert.msg_type == "Error":
        return AlertDecision("skipped", REASON_ERROR)
    if alert.status == "System":
        return AlertDecision("skipped", REASON_SYSTEM)
    if alert.status == "Draft":
        return AlertDecision("skipped", REASON_DRAFT)
    if alert.status in ("Test", "Exercise") and not render_test_alerts:
        # A Test Cancel/Update must not withdraw anything: its targets were skipped too.
        return AlertDecision("skipped", REASON_TEST)
    if alert.msg_type == "Cancel":
        return finish("cancelled", REASON_CANCEL_MESSAGE)
    if hazard == "none":
        return finish("skipped", REASON_NO_HAZARD)
    if all_infos_expired(alert, now):
        return finish("expired", REASON_EXPIRED)
    return finish(RENDER, None)


def _reference_keys(alert: Alert) -> list[AlertKey]:
    return [(ref.sender, ref.identifier, ref.sent) for ref in alert.references]
