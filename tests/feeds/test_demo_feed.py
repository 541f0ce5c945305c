"""The demo's feed sequence: what it serves is valid, current and what the table expects."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from cap.document import parse_document
from daemon.commands.demo_feed import expected_from, feed_list, feed_sequence, feed_table
from daemon.feeds.feed_list import feed_from_table
from daemon.streams.demo_results import ResultBoard, merge_boards


def test_the_sequence_carries_four_current_alerts_from_two_feeds() -> None:
    now = datetime.now(UTC)
    sequence = feed_sequence(now)
    assert len(sequence) == 2
    expected, feeds = expected_from(sequence)
    assert feeds == {
        "DEMO.FEED.WILDFIRE.1": "demo-index",
        "DEMO.FEED.TSUNAMI.1": "demo-index",
        "KR.MOIS.CBS.900001": "demo-korea",
        "KR.MOIS.CBS.900002": "demo-korea",
    }
    assert [alert.hazard for alert in expected.alerts.values()] == [
        "fire",
        "heavy_snow",
        "earthquake",
        "tsunami",
    ]
    assert expected.duplicates == 2  # the unchanged Korean feed, seen at both polls
    for step in sequence:
        for path, (data, _type) in step.documents.items():
            if path.startswith("/cap/"):
                (alert,) = parse_document(data, policy="strict").alerts
                assert alert.infos[0].expires is not None and alert.infos[0].expires > now
    # The first poll's alert is gone from the index at the second: no cancel follows.
    assert "/cap/wildfire.xml" not in sequence[1].documents


def test_the_feed_list_is_valid_and_the_table_names_each_feed() -> None:
    for table in tomllib.loads(feed_list("127.0.0.1:8765"))["feed"]:
        feed_from_table(table)
    expected, feeds = expected_from(feed_sequence(datetime.now(UTC)))
    board = ResultBoard(expected)
    text = feed_table(board, feeds)
    assert "demo-korea  KR.MOIS.CBS.900001" in text and "NO RECORD" in text
    merged = merge_boards(ResultBoard(expected_from(feed_sequence(datetime.now(UTC)))[0]), board)
    assert len(merged.expected.alerts) == 4
