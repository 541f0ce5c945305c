"""Korea's disaster text messages (JSON) become CAP 1.2 alerts the system handles as
any other: classified by the taxonomy, rendered with Korean cards, urgency by step."""

from __future__ import annotations

from pathlib import Path

import pytest

from cap.classify import classify_alert
from cap.document import DEFAULT_LIMITS, parse_document
from daemon.feeds.documents import FeedFormatError, read_feed
from daemon.feeds.korea import KoreanMessageError, message_to_cap, messages_to_cap

FIXTURE = (Path(__file__).parent / "fixtures" / "kr_disaster_messages.json").read_bytes()


def test_every_message_is_a_valid_cap_alert_with_its_hazard() -> None:
    documents = messages_to_cap(FIXTURE)
    alerts = []
    for document in documents:
        parsed = parse_document(document, policy="strict")  # the strict validator passes
        assert parsed.error is None, parsed.error
        alerts.extend(parsed.alerts)
    rain, quake, cold = alerts
    assert [classify_alert(alert).hazard for alert in alerts] == [
        "heavy_rain",
        "earthquake",
        "cold",
    ]
    assert rain.identifier == "KR.MOIS.CBS.218431"
    assert rain.sent.isoformat() == "2026-12-05T14:02:11+09:00"
    info = rain.infos[0]
    assert info.language == "ko-KR" and info.event == "호우" and info.categories == ("Met",)
    assert (info.urgency, info.severity, info.certainty) == ("Immediate", "Severe", "Likely")
    assert [area.area_desc for area in info.areas] == ["서울특별시 전체", "경기도 과천시"]
    assert info.headline == "[행정안전부] 오늘 14시 서울 호우경보 발령."
    assert quake.infos[0].severity == "Extreme" and quake.infos[0].categories == ("Geo",)
    assert cold.infos[0].urgency == "Expected"


def test_the_feed_format_reads_the_json_into_alerts() -> None:
    content = read_feed(FIXTURE, "https://example.kr/api", "kr-disaster-message", DEFAULT_LIMITS)
    assert [alert.key for alert in content.alerts] == [
        "safetydata.go.kr|KR.MOIS.CBS.218431",
        "safetydata.go.kr|KR.MOIS.CBS.218432",
        "safetydata.go.kr|KR.MOIS.CBS.218433",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<html/>", "not JSON"),
        (b'{"header": {}}', "no message list"),
        (b'{"body": [{"CRT_DT": "2026/12/06 14:02:11", "MSG_CN": "x"}]}', "without SN"),
        (b'{"body": [{"SN": 1, "CRT_DT": "yesterday", "MSG_CN": "x"}]}', "CRT_DT"),
    ],
)
def test_broken_json_is_refused_naming_the_problem(data: bytes, problem: str) -> None:
    with pytest.raises(KoreanMessageError, match=problem):
        messages_to_cap(data)
    with pytest.raises(FeedFormatError):
        read_feed(data, "https://example.kr/api", "kr-disaster-message", DEFAULT_LIMITS)


def test_hostile_text_is_escaped_not_interpreted() -> None:
    item = {"SN": 9, "CRT_DT": "2026/12/06 14:02:11", "MSG_CN": "<script>&</script> ]]>"}
    (alert,) = parse_document(message_to_cap(item)).alerts
    assert alert.infos[0].description == "<script>&</script> ]]>"
