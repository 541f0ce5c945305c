"""Priority score: documented lexicographic order, deterministic given ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cap.model import CERTAINTIES, SEVERITIES, STATUSES, URGENCIES, Alert, Info
from cap.priority import (
    BAND_NAMES,
    MAX_SCORE,
    PriorityError,
    priority_band,
    priority_score,
)

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def make_alert(
    urgency: str = "Expected",
    severity: str = "Moderate",
    certainty: str = "Likely",
    *,
    status: str = "Actual",
    msg_type: str = "Alert",
    expires: datetime | None = None,
    extra_infos: tuple[Info, ...] = (),
) -> Alert:
    info = Info(
        language="en-US",
        categories=("Met",),
        event="Flood Warning",
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        expires=expires,
    )
    return Alert(
        cap_version="1.2",
        identifier="P-1",
        sender="tests@cinealert.example",
        sent=NOW,
        status=status,
        msg_type=msg_type,
        scope="Public",
        infos=(info, *extra_infos),
    )


urgencies = st.sampled_from(URGENCIES)
severities = st.sampled_from(SEVERITIES)
certainties = st.sampled_from(CERTAINTIES)
statuses = st.sampled_from(STATUSES)
expiry_offsets = st.one_of(st.none(), st.integers(min_value=-3600, max_value=7 * 24 * 3600))


def expires_at(offset: int | None) -> datetime | None:
    return None if offset is None else NOW + timedelta(seconds=offset)


def more_pressing(value: str, enumeration: tuple[str, ...]) -> list[str]:
    return list(enumeration[: enumeration.index(value)])


@given(urgencies, severities, certainties, statuses, expiry_offsets)
def test_raising_urgency_never_lowers_the_score_and_beats_everything_below(
    urgency: str, severity: str, certainty: str, status: str, offset: int | None
) -> None:
    base = make_alert(urgency, severity, certainty, status=status, expires=expires_at(offset))
    for higher in more_pressing(urgency, URGENCIES):
        # Even with the weakest severity, certainty and no expiry, higher urgency wins.
        raised = make_alert(higher, "Unknown", "Unknown", status=status)
        assert priority_score(raised, NOW) > priority_score(base, NOW)


@given(urgencies, severities, certainties, statuses, expiry_offsets)
def test_severity_then_certainty_order_within_equal_urgency(
    urgency: str, severity: str, certainty: str, status: str, offset: int | None
) -> None:
    expires = expires_at(offset)
    base = priority_score(make_alert(urgency, severity, certainty, status=status), NOW)
    for higher in more_pressing(severity, SEVERITIES):
        raised = make_alert(urgency, higher, "Unknown", status=status, expires=None)
        assert priority_score(raised, NOW) > base
    for higher in more_pressing(certainty, CERTAINTIES):
        raised = make_alert(urgency, severity, higher, status=status, expires=expires)
        assert priority_score(raised, NOW) > base


@given(urgencies, severities, certainties, st.sampled_from(STATUSES[1:]))
def test_actual_beats_any_exercise_test_system_or_draft(
    urgency: str, severity: str, certainty: str, status: str
) -> None:
    weakest_actual = make_alert("Unknown", "Unknown", "Unknown", status="Actual")
    other = make_alert(urgency, severity, certainty, status=status, expires=NOW)
    assert priority_score(weakest_actual, NOW) > priority_score(other, NOW)


@given(urgencies, severities, certainties, st.sampled_from(["Cancel", "Ack", "Error"]))
def test_cancel_ack_error_rank_below_every_alert_or_update(
    urgency: str, severity: str, certainty: str, msg_type: str
) -> None:
    weakest_test = make_alert("Unknown", "Unknown", "Unknown", status="Test")
    low = make_alert(urgency, severity, certainty, msg_type=msg_type, expires=NOW)
    assert priority_score(weakest_test, NOW) > priority_score(low, NOW)
    assert priority_band(priority_score(low, NOW)) == "low"


@given(
    urgencies,
    severities,
    certainties,
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
)
def test_earlier_expiry_breaks_ties(
    urgency: str, severity: str, certainty: str, soon: int, later_by: int
) -> None:
    sooner = make_alert(urgency, severity, certainty, expires=NOW + timedelta(seconds=soon))
    later = make_alert(
        urgency, severity, certainty, expires=NOW + timedelta(seconds=soon + later_by)
    )
    never = make_alert(urgency, severity, certainty)
    assert priority_score(sooner, NOW) > priority_score(later, NOW) > priority_score(never, NOW)


@given(urgencies, severities, certainties, statuses, expiry_offsets)
def test_score_is_deterministic_in_range_and_banded(
    urgency: str, severity: str, certainty: str, status: str, offset: int | None
) -> None:
    alert = make_alert(urgency, severity, certainty, status=status, expires=expires_at(offset))
    score = priority_score(alert, NOW)
    # The same instant in another zone gives the same score.
    assert score == priority_score(alert, NOW.astimezone(timezone(timedelta(hours=9))))
    assert 0.0 <= score <= MAX_SCORE
    assert priority_band(score) in BAND_NAMES


def test_most_urgent_info_counts() -> None:
    urgent_info = Info(
        language="fr-CA",
        categories=("Met",),
        event="Inondation",
        urgency="Immediate",
        severity="Extreme",
        certainty="Observed",
    )
    single = make_alert("Future", "Minor", "Possible")
    multi = make_alert("Future", "Minor", "Possible", extra_infos=(urgent_info,))
    assert priority_score(multi, NOW) > priority_score(single, NOW)
    assert priority_band(priority_score(multi, NOW)) == "critical"


@pytest.mark.parametrize(
    ("alert", "band"),
    [
        (make_alert("Immediate", "Extreme", "Observed"), "critical"),
        (make_alert("Immediate", "Severe", "Unknown"), "critical"),
        (make_alert("Immediate", "Moderate", "Observed"), "high"),
        (make_alert("Expected", "Minor", "Unlikely"), "high"),
        (make_alert("Future", "Extreme", "Observed"), "medium"),
        (make_alert("Unknown", "Unknown", "Unknown"), "medium"),
        (make_alert("Immediate", "Extreme", "Observed", status="Exercise"), "low"),
        (make_alert("Immediate", "Extreme", "Observed", msg_type="Cancel"), "low"),
    ],
)
def test_bands(alert: Alert, band: str) -> None:
    assert priority_band(priority_score(alert, NOW)) == band


def test_alert_without_info_is_ranked_lowest_of_its_kind() -> None:
    bare = Alert(
        cap_version="1.2",
        identifier="P-2",
        sender="s",
        sent=NOW,
        status="Actual",
        msg_type="Alert",
        scope="Public",
    )
    assert priority_score(bare, NOW) == 250.0


def test_bad_inputs_raise_typed_errors_naming_the_value() -> None:
    with pytest.raises(PriorityError, match="naive"):
        priority_score(make_alert(), datetime(2026, 11, 23, 1, 0))
    with pytest.raises(PriorityError, match="'Soon'"):
        priority_score(make_alert("Soon"), NOW)
    for bad in (-1.0, MAX_SCORE + 1.0, float("nan")):
        with pytest.raises(PriorityError, match="outside"):
            priority_band(bad)
