"""Which output records answer a re-read input message (daemon/service/answered.py)."""

from __future__ import annotations

import json
from typing import Any

from daemon.service.answered import AnsweredInput, _answered_by


def _record(status: str, offset: int = 3) -> bytes:
    record: dict[str, Any] = {
        "status": status,
        "source": {"topic": "cap.alerts", "partition": 0, "offset": offset},
        "alert": {"sender": "sender@example.org", "identifier": "id-1"},
    }
    return json.dumps(record).encode()


def test_a_terminal_record_answers_its_input_message() -> None:
    expected = AnsweredInput(0, 3, "sender@example.org", "id-1")
    for status in ("rendered", "cached", "skipped", "cancelled", "expired", "failed"):
        assert _answered_by(_record(status), "cap.alerts", {0: 0}) == expected


def test_a_provisional_card_answers_nothing() -> None:
    """card_policy=first: after a crash between the card and the render's record, the
    alert must be answered again, not taken as done."""
    assert _answered_by(_record("provisional"), "cap.alerts", {0: 0}) is None


def test_records_of_other_topics_or_before_the_commit_answer_nothing() -> None:
    assert _answered_by(_record("rendered"), "other.topic", {0: 0}) is None
    assert _answered_by(_record("rendered", offset=1), "cap.alerts", {0: 2}) is None
    assert _answered_by(b"not json", "cap.alerts", {0: 0}) is None
