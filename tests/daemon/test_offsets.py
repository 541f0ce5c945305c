"""The per-partition commit tracker: commit only below the oldest unfinished message."""

from __future__ import annotations

import pytest
from aiokafka.structs import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from daemon.service.offsets import OffsetTracker, OffsetTrackingError

P0 = TopicPartition("in", 0)
P1 = TopicPartition("in", 1)


def test_commit_waits_for_the_oldest_unfinished_message() -> None:
    tracker = OffsetTracker()
    tickets = [tracker.begin(P0, offset) for offset in range(5)]
    tracker.finish(tickets[3])
    tracker.finish(tickets[1])
    assert tracker.committable() == {P0: 0}
    tracker.finish(tickets[0])
    assert tracker.committable() == {P0: 2}
    tracker.mark_committed({P0: 2})
    assert tracker.committable() == {}
    tracker.finish(tickets[2])
    tracker.finish(tickets[4])
    assert tracker.committable() == {P0: 5}


def test_partitions_are_independent_and_zero_part_messages_are_done() -> None:
    tracker = OffsetTracker()
    tracker.begin(P0, 10, parts=0)
    pending = tracker.begin(P1, 3)
    assert tracker.committable() == {P0: 11, P1: 3}
    tracker.finish(pending)
    assert tracker.committable()[P1] == 4


def test_a_message_with_several_alerts_finishes_when_all_are_done() -> None:
    tracker = OffsetTracker()
    ticket = tracker.begin(P0, 0, parts=0)
    tracker.add_parts(ticket, 3)
    tracker.finish(ticket)
    tracker.finish(ticket)
    assert tracker.committable() == {P0: 0}
    tracker.finish(ticket)
    assert tracker.committable() == {P0: 1}
    with pytest.raises(OffsetTrackingError, match="offset 0"):
        tracker.finish(ticket)


def test_offsets_must_increase() -> None:
    tracker = OffsetTracker()
    assert tracker.last_seen(P0) == -1
    tracker.begin(P0, 5)
    assert tracker.last_seen(P0) == 5
    with pytest.raises(OffsetTrackingError, match="offset 5"):
        tracker.begin(P0, 5)


def test_finishing_after_a_revoke_changes_nothing() -> None:
    tracker = OffsetTracker()
    old = tracker.begin(P0, 0)
    tracker.drop(P0)
    fresh = tracker.begin(P0, 0)  # re-assigned: the message is read again
    assert tracker.finish(old) is False
    assert tracker.committable() == {P0: 0}
    assert tracker.finish(fresh) is True
    assert tracker.committable() == {P0: 1}


@given(st.permutations(list(range(12))), st.integers(min_value=0, max_value=12))
def test_committed_offset_never_passes_an_unfinished_message(
    order: list[int], finished_count: int
) -> None:
    tracker = OffsetTracker()
    tickets = [tracker.begin(P0, offset) for offset in range(12)]
    finished = set(order[:finished_count])
    for offset in order[:finished_count]:
        tracker.finish(tickets[offset])
    expected = next((offset for offset in range(12) if offset not in finished), 12)
    assert tracker.committable() == {P0: expected}
