"""Priority of an alert for the render queue: one number, higher = more urgent.

The score is lexicographic, packed into one float so a heap can order it::

    score = 125*T + 25*U + 5*S + C + E

* ``T`` (0..2) — message kind: 2 for an Actual Alert/Update, 1 for Exercise, System, Test or
  Draft, 0 for Cancel, Ack and Error (nothing to draw first).
* ``U``, ``S``, ``C`` (0..4 each) — urgency, severity, certainty ranked in CAP 1.2
  enumeration order: Immediate/Extreme/Observed = 4 down to Unknown = 0.
* ``E`` (0..0.9) — tie-breaker: the sooner the alert expires, the higher,
  ``0.9 / (1 + hours_left)``; 0 when the alert gives no ``expires``.

Each term is smaller than one step of the term before it, so a higher urgency always beats
any severity, certainty or expiry, and so on down. For several ``<info>`` blocks the most
urgent one counts (largest ``(U, S, C)``), with the earliest expiry among those.
Ageing (so that nothing starves) is the queue's job, not this function's.
"""

from __future__ import annotations

from datetime import datetime

from cap.model import CERTAINTIES, SEVERITIES, URGENCIES, Alert, Info

KIND_WEIGHT = 125.0
URGENCY_WEIGHT = 25.0
SEVERITY_WEIGHT = 5.0
CERTAINTY_WEIGHT = 1.0
EXPIRY_WEIGHT = 0.9

MAX_SCORE = (
    2 * KIND_WEIGHT + 4 * (URGENCY_WEIGHT + SEVERITY_WEIGHT + CERTAINTY_WEIGHT) + EXPIRY_WEIGHT
)

# Band floors, highest first. Critical: Actual, Immediate and at least Severe.
# High: Actual and at least Expected. Medium: any other Actual. Low: exercises,
# tests, drafts, and Cancel/Ack/Error.
BANDS: tuple[tuple[str, float], ...] = (
    ("critical", 2 * KIND_WEIGHT + 4 * URGENCY_WEIGHT + 3 * SEVERITY_WEIGHT),
    ("high", 2 * KIND_WEIGHT + 3 * URGENCY_WEIGHT),
    ("medium", 2 * KIND_WEIGHT),
    ("low", 0.0),
)
BAND_NAMES = tuple(name for name, _ in BANDS)

_LOW_KIND_MSG_TYPES = frozenset({"Cancel", "Ack", "Error"})


class PriorityError(ValueError):
    """An input the priority formula cannot rank (naive time, unknown enumeration value)."""


def _rank(value: str, enumeration: tuple[str, ...], field: str) -> int:
    """4 for the first (most pressing) CAP value down to 0 for the last ("Unknown")."""
    try:
        return len(enumeration) - 1 - enumeration.index(value)
    except ValueError:
        raise PriorityError(f"{field} {value!r} is not one of {enumeration}") from None


def _kind_rank(alert: Alert) -> int:
    if alert.msg_type in _LOW_KIND_MSG_TYPES:
        return 0
    return 2 if alert.status == "Actual" else 1


def _info_ranks(info: Info) -> tuple[int, int, int]:
    return (
        _rank(info.urgency, URGENCIES, "urgency"),
        _rank(info.severity, SEVERITIES, "severity"),
        _rank(info.certainty, CERTAINTIES, "certainty"),
    )


def _expiry_bonus(expires: datetime | None, now: datetime) -> float:
    if expires is None:
        return 0.0
    hours_left = max((expires - now).total_seconds(), 0.0) / 3600.0
    return EXPIRY_WEIGHT / (1.0 + hours_left)


def priority_score(alert: Alert, now: datetime) -> float:
    """Urgency of ``alert`` at time ``now`` (timezone-aware); higher = render sooner."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise PriorityError(f"now must be timezone-aware, got naive {now.isoformat()}")
    ranked = [(_info_ranks(info), info.expires) for info in alert.infos]
    urgency = severity = certainty = 0
    expiry = 0.0
    if ranked:
        best = max(ranks for ranks, _ in ranked)
        urgency, severity, certainty = best
        expiry = max(_expiry_bonus(expires, now) for ranks, expires in ranked if ranks == best)
    return (
        KIND_WEIGHT * _kind_rank(alert)
        + URGENCY_WEIGHT * urgency
        + SEVERITY_WEIGHT * severity
        + CERTAINTY_WEIGHT * certainty
        + expiry
    )


def priority_band(score: float) -> str:
    """Coarse band of a score for metrics labels: critical, high, medium or low."""
    if not 0.0 <= score <= MAX_SCORE:
        raise PriorityError(f"priority score {score!r} is outside [0, {MAX_SCORE}]")
    for name, floor in BANDS[:-1]:
        if score >= floor:
            return name
    return BANDS[-1][0]
