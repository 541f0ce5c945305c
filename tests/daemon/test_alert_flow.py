"""Per-alert decisions and the output record builder (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from cap.document import parse_document
from cap.model import Alert
from daemon.service.alert_flow import decide
from daemon.service.dedupe import SeenAlerts
from daemon.service.records import RecordError, SourcePosition, build_record, record_schema
from tests.support.cap_alerts import cap_alert

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def alert(**kwargs: object) -> Alert:
    document = parse_document(cap_alert("id-1", sent=NOW - timedelta(hours=1), **kwargs))  # type: ignore[arg-type]
    assert document.ok, document.error
    return document.alerts[0]


@pytest.mark.parametrize(
    ("kwargs", "hazard", "render_tests", "outcome", "reason"),
    [
        ({}, "flood", False, "render", None),
        ({"status": "Test"}, "flood", False, "skipped", "test-or-exercise"),
        ({"status": "Exercise"}, "flood", True, "render", None),
        ({"status": "System"}, "flood", True, "skipped", "status-system"),
        ({"msg_type": "Ack"}, "flood", False, "skipped", "msgtype-ack"),
        ({}, "none", False, "skipped", "no-hazard"),
        ({"expires": NOW - timedelta(minutes=1)}, "flood", False, "expired", "all-infos-expired"),
    ],
)
def test_decisions(
    kwargs: dict[str, object], hazard: str, render_tests: bool, outcome: str, reason: str | None
) -> None:
    decision = decide(alert(**kwargs), hazard, NOW, render_tests)
    assert (decision.outcome, decision.reason) == (outcome, reason)


def test_cancel_and_update_withdraw_their_references() -> None:
    ref_sent = NOW - timedelta(hours=2)
    cancel = decide(alert(msg_type="Cancel", references=(("old", ref_sent),)), "flood", NOW, False)
    assert cancel.outcome == "cancelled"
    assert cancel.withdraws == (("w-nws.webmaster@noaa.gov", "old", ref_sent),)
    assert cancel.withdraw_reason == "cancelled"
    update = decide(alert(msg_type="Update", references=(("old", ref_sent),)), "flood", NOW, False)
    assert (update.outcome, update.withdraw_reason) == ("render", "superseded")


def test_duplicates_are_recognised_by_sender_identifier_sent() -> None:
    seen = SeenAlerts(capacity=2)
    first = alert()
    assert seen.first_time(first.key)
    assert not seen.first_time(first.key)
    seen.first_time(("a", "b", NOW))
    seen.first_time(("c", "d", NOW))  # capacity 2: the least recently seen is forgotten
    assert seen.first_time(first.key)


def test_record_matches_the_schema_and_refuses_media_less_rendered() -> None:
    source = SourcePosition("cap.alerts", 2, 41)
    record = build_record(alert(), "flood", "skipped", source, reason="no-hazard")
    jsonschema.validate(record, record_schema())
    assert record["alert"]["areaDesc"] == "Test County"
    assert record["source"] == {"topic": "cap.alerts", "partition": 2, "offset": 41}
    with pytest.raises(RecordError, match="'rendered'"):
        build_record(alert(), "flood", "rendered", source)
    with pytest.raises(RecordError, match="'done'"):
        build_record(alert(), "flood", "done", source)
